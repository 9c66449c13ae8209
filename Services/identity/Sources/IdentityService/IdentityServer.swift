public import Logging
public import ServiceLifecycle
public import ServiceSupport
import WireProtocol
public import WireTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The identity process, assembled: blocking pool, PostgreSQL pool, operations and wire server.
///
/// `serve` runs ``services`` in a `ServiceGroup` in this order, so graceful shutdown stops the
/// server first (in-flight requests finish) and the pool's threads last.
public struct IdentityServer: Sendable {
    public let configuration: IdentityConfiguration
    public let blockingPool: BlockingPool
    public let hashingPool: BlockingPool
    public let postgres: PostgresPool
    public let wireServer: WireServer

    public init(configuration: IdentityConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.hashingPool = BlockingPool(threads: configuration.hashingThreads, maximumPending: configuration.hashingQueueLimit)
        self.blockingPool = BlockingPool(threads: configuration.blockingThreads, maximumPending: configuration.blockingQueueLimit)
        self.postgres = PostgresPool(
            url: configuration.databaseURL,
            size: configuration.databasePoolSize,
            blockingPool: self.blockingPool,
            logger: logger
        )
        let readiness = IdentityReadiness(pool: self.postgres, instance: "identity/\(getpid())")
        var dispatcher = OperationDispatcher(ready: readiness.check)
        let operations = try IdentityOperations(
            users: PostgresUserStore(pool: self.postgres),
            hasher: Argon2PasswordHasher(backend: configuration.argon2Backend, parameters: configuration.argon2),
            hashingPool: self.hashingPool,
            rules: configuration.registration,
            lockout: configuration.lockout
        )
        operations.register(in: &dispatcher)
        self.wireServer = WireServer(
            configuration: .init(address: configuration.socket, maximumFrameLength: configuration.maximumFrameLength),
            dispatcher: dispatcher,
            logger: logger
        )
    }

    /// The services to run, in dependency order.
    public var services: [any Service] { [self.blockingPool, self.hashingPool, self.wireServer] }
}
