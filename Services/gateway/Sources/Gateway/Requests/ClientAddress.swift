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
        self.resolve(peer: peer, forwardedFor: headers[.xForwardedFor])
    }

    /// The same from the `X-Forwarded-For` value alone.
    func resolve(peer: String?, forwardedFor: String?) -> String {
        let peer = peer ?? "unknown"
        guard self.trustedProxies.contains(peer), let forwarded = forwardedFor else { return peer }
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
    /// (`2001:db8:1:2::/64`: one client is routinely given a whole /64), or by the IPv4 address it
    /// carries (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, compatible `::a.b.c.d`: each is
    /// one IPv4 client, and thousands of them share one /64); brackets and a port around an IPv6
    /// hop are dropped; anything else (`unknown`, a malformed hop) as it is.
    static func rateLimitBucket(_ address: String) -> String {
        guard address.contains(":") else { return address }
        var text = Substring(address)
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") { text = text[text.index(after: text.startIndex)..<close] }
        text = text.prefix { $0 != "%" }
        var bytes = in6_addr()
        guard String(text).withCString({ inet_pton(AF_INET6, $0, &bytes) }) == 1 else { return address }
        let octets = withUnsafeBytes(of: bytes) { Array($0) }
        let mapped = octets[0..<10].allSatisfy { $0 == 0 } && octets[10] == 0xFF && octets[11] == 0xFF
        let nat64 = octets[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0])
        let compatible = octets[0..<12].allSatisfy { $0 == 0 } && octets[12..<16].contains { $0 != 0 } && !(octets[12..<15].allSatisfy { $0 == 0 })
        if mapped || nat64 || compatible {
            return octets[12...].map(String.init).joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(octets[$0]) << 8 | UInt16(octets[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
