import Foundation
public import Gateway
public import IdentityService
import Logging
import NIOCore
public import TokenService
import WireProtocol
import WireTransport

/// Identity's and token's real operations in this process, on a private PostgreSQL schema and
/// a private Redis key prefix, reached by the gateway through ``InProcessBackend``s.
///
/// ```swift
/// let backends = try await InProcessBackends()
/// defer { Task { await backends.drop() } }
/// let app = buildApplication(configuration: configuration, backends: backends.backends, logger: logger)
/// try await app.test(.router) { client in … }
/// ```
public final class InProcessBackends: Sendable {
    public let database: TestDatabase
    public let identity: IdentityOperations
    public let token: TokenOperations
    public let backends: Backends
    let redis: RedisClient

    public static let refreshSecret = "a-refresh-secret-of-at-least-32-characters"

    public init() async throws {
        self.database = try await TestDatabase()
        self.identity = try IdentityFixtures.operations(self.database)
        var logger = Logger(label: "in-process-redis")
        logger.logLevel = .critical
        self.redis = RedisClient(endpoint: try RedisEndpoint(url: TestServices.redisURL), connections: 1, timeout: .seconds(15), logger: logger)
        let prefix = "test-\(UUID().uuidString.prefix(8))"
        self.token = TokenOperations(
            keyRing: await KeyRing(hmacSecret: "an-access-secret-of-at-least-32-characters"),
            store: RedisRefreshTokenStore(redis: self.redis, refreshSecret: Self.refreshSecret, accessTokenLifetime: 900, prefix: prefix),
            denylist: RedisAccessTokenDenylist(redis: self.redis, prefix: prefix),
            issuer: "auth-service",
            audience: "auth-service",
            accessLifetime: 900,
            refreshLifetime: 7 * 86400,
            rateLimiter: RateLimiter(redis: self.redis, prefix: prefix),
            csrfSecret: Self.refreshSecret
        )
        var ready = WireReadyReply()
        ready.ready = true
        var identityDispatcher = OperationDispatcher(ready: { [ready] _ in ready })
        self.identity.register(in: &identityDispatcher)
        var tokenDispatcher = OperationDispatcher(ready: { [ready] _ in ready })
        self.token.register(in: &tokenDispatcher)
        self.backends = Backends(identity: InProcessBackend(dispatcher: identityDispatcher), token: InProcessBackend(dispatcher: tokenDispatcher))
    }

    /// Drops the schema (the Redis keys expire by themselves).
    public func drop() async {
        await self.database.drop()
    }
}
