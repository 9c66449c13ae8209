public import NIOCore

/// Where a service listens: a Unix-domain socket path (the default) or a TCP host and port with
/// the same bytes on the wire, for deployments across hosts.
public enum WireEndpointAddress: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses `tcp://host:port`, `unix:/path` or a plain path.
    public init?(parsing text: String) {
        if text.hasPrefix("tcp://") {
            let rest = text.dropFirst("tcp://".count)
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]),
                (1...65535).contains(port), colon > rest.startIndex
            else { return nil }
            self = .tcp(host: String(rest[..<colon]), port: port)
        } else {
            let path = text.hasPrefix("unix:") ? String(text.dropFirst("unix:".count)) : text
            // sun_path holds 108 bytes with its terminator.
            guard !path.isEmpty, path.utf8.count < 108 else { return nil }
            self = .unix(path: path)
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): "tcp://\(host):\(port)"
        }
    }

    func socketAddress() throws -> SocketAddress {
        switch self {
        case .unix(let path): try SocketAddress(unixDomainSocketPath: path)
        case .tcp(let host, let port): try SocketAddress.makeAddressResolvingHost(host, port: port)
        }
    }
}
