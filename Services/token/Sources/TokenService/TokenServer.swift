public import Logging
public import ServiceLifecycle
import ServiceRuntime
public import ServiceConfiguration
import WireProtocol
public import WireTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The token process, assembled: Redis client, operations and wire server.
///
/// Stateless apart from Redis, so any number of instances run side by side.
public struct TokenServer: Sendable {
    public let configuration: TokenConfiguration
    public let redis: RedisClient
    public let wireServer: WireServer
    /// Reads the key directory while the process runs (`nil` without `JWT_KEY_DIR`).
    public let keyRefresher: KeyRingRefresher?

    /// - Throws: when the first keys cannot be read (or, on first start, made) in `JWT_KEY_DIR`.
    public init(configuration: TokenConfiguration, logger: Logger) async throws(ConfigurationError) {
        self.configuration = configuration
        self.redis = RedisClient(
            endpoint: configuration.redis,
            connections: configuration.redisConnections,
            maximumPending: configuration.redisMaximumPending,
            logger: logger
        )
        let readiness = TokenReadiness(redis: self.redis, instance: "token/\(getpid())")
        var dispatcher = OperationDispatcher(ready: readiness.check)
        let keyRing = await KeyRing(try configuration.signingKeys.initialKeySet(now: WallClock.now()))
        if case .directory(let directory) = configuration.signingKeys.source {
            self.keyRefresher = KeyRingRefresher(
                ring: keyRing,
                directory: directory,
                interval: .seconds(configuration.signingKeys.reloadSeconds),
                logger: logger,
                now: { WallClock.now() }
            )
        } else {
            self.keyRefresher = nil
        }
        let operations = TokenOperations(
            keyRing: keyRing,
            store: RedisRefreshTokenStore(
                redis: self.redis,
                refreshSecret: configuration.refreshSecret,
                accessTokenLifetime: configuration.accessTokenMinutes * 60,
                maximumSessions: configuration.maximumSessionsPerUser,
                prefix: configuration.redisKeyPrefix
            ),
            denylist: RedisAccessTokenDenylist(redis: self.redis, prefix: configuration.redisKeyPrefix),
            issuer: configuration.issuer,
            audience: configuration.audience,
            accessLifetime: configuration.accessTokenMinutes * 60,
            refreshLifetime: configuration.refreshTokenMinutes * 60,
            absoluteLifetime: configuration.refreshAbsoluteMinutes * 60,
            reuseGrace: configuration.reuseGraceSeconds,
            rateLimiter: RateLimiter(redis: self.redis, prefix: configuration.redisKeyPrefix),
            csrfSecret: configuration.refreshSecret,
            publicKeysMaxAge: configuration.signingKeys.publicKeysMaxAge
        )
        operations.register(in: &dispatcher)
        self.wireServer = WireServer(
            configuration: .init(
                address: configuration.socket,
                maximumFrameLength: configuration.maximumFrameLength,
                security: configuration.backendSecurity
            ),
            dispatcher: dispatcher,
            logger: logger
        )
    }

    /// The services to run, in dependency order.
    public var services: [any Service] { [self.redis] + (self.keyRefresher.map { [$0] } ?? []) + [self.wireServer] }
}
