public import Logging
import NIOCore
public import ServiceLifecycle
public import WireTransport

/// The gateway's clients for its two backend services.
public struct Backends: Sendable {
    public let identity: BackendPool
    public let token: BackendPool

    public init(identity: BackendPool, token: BackendPool) {
        self.identity = identity
        self.token = token
    }

    /// Pools for the instances named in `configuration`.
    public init(configuration: GatewayConfiguration, logger: Logger) {
        var poolConfiguration = BackendPool.Configuration(requestTimeout: .milliseconds(Int64(configuration.backendTimeoutMilliseconds)))
        poolConfiguration.security = configuration.backendSecurity
        self.identity = BackendPool(
            service: "identity",
            addresses: configuration.identitySockets,
            configuration: poolConfiguration,
            logger: logger
        )
        var tokenConfiguration = poolConfiguration
        if let directory = configuration.tokenSocketDirectory {
            let owners = configuration.backendSecurity.allowedUIDs
            tokenConfiguration.discover = { SocketDirectory.sockets(in: directory, ownedBy: owners) }
        }
        self.token = BackendPool(service: "token", addresses: configuration.tokenSockets, configuration: tokenConfiguration, logger: logger)
    }

    public var identityClient: IdentityClient { IdentityClient(pool: self.identity) }
    public var tokenClient: TokenClient { TokenClient(pool: self.token) }

    /// The pools as services: they probe ejected instances and close connections at shutdown.
    public var services: [any Service] { [self.identity, self.token] }
}
