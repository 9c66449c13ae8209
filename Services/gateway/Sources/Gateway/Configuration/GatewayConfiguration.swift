public import ServiceSupport
public import WireTransport

/// Everything the gateway reads from its environment, parsed and checked once at start.
///
/// The gateway holds no secret and no database URL: it reads only what it needs to serve HTTP
/// and reach the backends.
public struct GatewayConfiguration: Sendable {
    /// The address to listen on (`HOST`, 127.0.0.1).
    public var host: String
    /// The port (`PORT`, 8000; 0 picks a free one).
    public var port: Int
    /// The identity instances (`IDENTITY_SOCKETS`, comma-separated; or `IDENTITY_SOCKET`).
    public var identitySockets: [WireEndpointAddress]
    /// The token instances (`TOKEN_SOCKETS`, comma-separated), or
    public var tokenSockets: [WireEndpointAddress]
    /// a directory whose `*.sock` files are the token instances (`TOKEN_SOCKET_DIR`), followed as they come and go.
    public var tokenSocketDirectory: String?
    /// How long a backend call may take (`BACKEND_TIMEOUT_MS`, 5000).
    public var backendTimeoutMilliseconds: Int
    /// The largest request body read (`MAX_BODY_BYTES`, 64 KiB).
    public var maximumBodyBytes: Int

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.host = environment.string("HOST", default: "127.0.0.1")
        self.port = try environment.integer("PORT", default: 8000, in: 0...65535)
        if let list = environment.optional("IDENTITY_SOCKETS") {
            self.identitySockets = try Self.addresses(list, variable: "IDENTITY_SOCKETS")
        } else {
            self.identitySockets = try Self.addresses(
                environment.string("IDENTITY_SOCKET", default: "/run/auth/identity.sock"),
                variable: "IDENTITY_SOCKET"
            )
        }
        self.tokenSocketDirectory = environment.optional("TOKEN_SOCKET_DIR")
        if let list = environment.optional("TOKEN_SOCKETS") {
            self.tokenSockets = try Self.addresses(list, variable: "TOKEN_SOCKETS")
        } else if self.tokenSocketDirectory != nil {
            self.tokenSockets = []
        } else {
            self.tokenSockets = try Self.addresses(environment.string("TOKEN_SOCKET", default: "/run/auth/token.sock"), variable: "TOKEN_SOCKET")
        }
        self.backendTimeoutMilliseconds = try environment.integer("BACKEND_TIMEOUT_MS", default: 5000, in: 10...120_000)
        self.maximumBodyBytes = try environment.integer("MAX_BODY_BYTES", default: 64 * 1024, in: 1024...(16 << 20))
    }

    static func addresses(_ list: String, variable: String) throws(ConfigurationError) -> [WireEndpointAddress] {
        var addresses: [WireEndpointAddress] = []
        for item in list.split(separator: ",") {
            let text = item.filter { !$0.isWhitespace }
            guard !text.isEmpty else { continue }
            guard let address = WireEndpointAddress(parsing: text) else {
                throw ConfigurationError(variable: variable, reason: "\"\(text)\" is not a socket path or tcp://host:port")
            }
            addresses.append(address)
        }
        guard !addresses.isEmpty else { throw ConfigurationError(variable: variable, reason: "lists no instance") }
        return addresses
    }
}
