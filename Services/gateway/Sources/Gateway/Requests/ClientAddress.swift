import HTTPTypes

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

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}
