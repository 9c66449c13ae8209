public import Logging
import NIOCore
public import ServiceLifecycle
import WireTransport

/// The gateway's clients for its two backend services.
public struct Backends: Sendable {
    public let identity: any BackendTransport
    public let token: any BackendTransport
    /// What runs beside the HTTP server: the pools probe ejected instances and close their
    /// connections at shutdown.
    public let services: [any Service]

    public init(identity: BackendPool, token: BackendPool) {
        self.identity = identity
        self.token = token
        self.services = [identity, token]
    }

    /// Backends reached some other way (a test's in-process operations), with nothing to run.
    public init(identity: any BackendTransport, token: any BackendTransport) {
        self.identity = identity
        self.token = token
        self.services = []
    }

    /// Pools for the instances named in `configuration`.
    public init(configuration: GatewayConfiguration, logger: Logger) {
        var poolConfiguration = BackendPool.Configuration(requestTimeout: .milliseconds(Int64(configuration.backendTimeoutMilliseconds)))
        poolConfiguration.security = configuration.backendSecurity
        var tokenConfiguration = poolConfiguration
        if let directory = configuration.tokenSocketDirectory {
            let owners = configuration.backendSecurity.allowedUIDs
            tokenConfiguration.discover = { SocketDirectory.sockets(in: directory, ownedBy: owners) }
        }
        let identity = BackendPool(
            service: "identity",
            addresses: configuration.identitySockets,
            configuration: poolConfiguration,
            logger: logger
        )
        let token = BackendPool(service: "token", addresses: configuration.tokenSockets, configuration: tokenConfiguration, logger: logger)
        self.init(identity: identity, token: token)
    }

    public var identityClient: IdentityClient { IdentityClient(pool: self.identity) }
    public var tokenClient: TokenClient { TokenClient(pool: self.token) }
}
