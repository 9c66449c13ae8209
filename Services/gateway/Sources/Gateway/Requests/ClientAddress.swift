import HTTPTypes

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who the client is, by address: the socket's peer, or, when the peer is one of our trusted
/// proxies (`TRUSTED_PROXIES`), the nearest `X-Forwarded-For` hop that is not one of them.
///
/// Hops further back are the client's own claims and are never believed: a client can put any
/// address at the front of the header, but not behind the proxy that appended its real one.
struct ClientAddress: Sendable {
    let trustedProxies: Set<String>

    /// The longest address kept (an IPv6 address with a zone fits).
    static let maximumLength = 64

    func resolve(peer: String?, headers: HTTPFields) -> String {
        let peer = peer ?? "unknown"
        guard self.trustedProxies.contains(peer), let forwarded = headers[.xForwardedFor] else { return peer }
        let hops = forwarded.split(separator: ",").map { $0.filter { !$0.isWhitespace } }
        // Walk back from the nearest hop, skipping our own proxies.
        for hop in hops.reversed() where !self.trustedProxies.contains(hop) && !hop.isEmpty {
            return String(hop.prefix(Self.maximumLength))
        }
        return peer
    }
}

extension ClientAddress {
    /// What a per-address limit counts by: an IPv4 address as it is; an IPv6 address by its /64
    /// (`2001:db8:1:2::/64`), or as the IPv4 address it maps (`::ffff:192.0.2.1`); anything else
    /// (`unknown`, a malformed hop) as it is.
    static func rateLimitBucket(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = in6_addr()
        let parsed = address.split(separator: "%", maxSplits: 1).first.map { part in
            String(part).withCString { inet_pton(AF_INET6, $0, &bytes) }
        }
        guard parsed == 1 else { return address }
        let octets = withUnsafeBytes(of: bytes) { Array($0) }
        if octets[0..<10].allSatisfy({ $0 == 0 }), octets[10] == 0xFF, octets[11] == 0xFF {
            return octets[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
