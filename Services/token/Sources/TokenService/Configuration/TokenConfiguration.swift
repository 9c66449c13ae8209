public import NIOCore
public import ServiceSupport
public import WireTransport

/// Everything the token process reads from its environment, parsed and checked once at start.
public struct TokenConfiguration: Sendable {
    /// Where this instance listens (`TOKEN_SOCKET`); each instance has its own.
    public var socket: WireEndpointAddress
    /// Redis (`REDIS_URL`).
    public var redis: RedisEndpoint
    /// Connections to Redis (`REDIS_POOL_SIZE`).
    public var redisPoolSize: Int
    /// The HS256 key of access tokens (`ACCESS_SECRET` or `ACCESS_SECRET_FILE`, at least 32 characters).
    public var accessSecret: String
    /// The key of the refresh tokens' keyed hashes (`REFRESH_SECRET` or `REFRESH_SECRET_FILE`, at least 32 characters).
    public var refreshSecret: String
    /// Access-token lifetime in minutes (`ACCESS_TOKEN_EXPIRE_M`, 15).
    public var accessTokenMinutes: Int
    /// Refresh-token lifetime in minutes (`REFRESH_TOKEN_EXPIRE_M`, 43200 = 30 days).
    public var refreshTokenMinutes: Int
    /// The `iss` of access tokens (`JWT_ISSUER`, `auth-service`).
    public var issuer: String
    /// The `aud` of access tokens (`JWT_AUDIENCE`, `auth-service`).
    public var audience: String
    /// Seconds after a rotation during which the old token may be presented again without
    /// counting as theft (`REFRESH_REUSE_GRACE_SECONDS`, 0 as in the seeds).
    public var reuseGraceSeconds: Int
    /// The prefix of every Redis key (`REDIS_KEY_PREFIX`, `auth`).
    public var redisKeyPrefix: String
    /// Threads for blocking Redis calls (`BLOCKING_THREADS`).
    public var blockingThreads: Int
    /// Work admitted to those threads at once before "overloaded" (`BLOCKING_QUEUE_LIMIT`).
    public var blockingQueueLimit: Int
    /// The largest frame between processes (`MAX_FRAME_BYTES`).
    public var maximumFrameLength: Int

    public init(environment: EnvironmentReader, cores: Int = System.coreCount) throws(ConfigurationError) {
        let socketText = environment.string("TOKEN_SOCKET", default: "/run/auth/token.sock")
        guard let socket = WireEndpointAddress(parsing: socketText) else {
            throw ConfigurationError(variable: "TOKEN_SOCKET", reason: "must be a socket path or tcp://host:port")
        }
        self.socket = socket
        let redisURL = try environment.require("REDIS_URL")
        do {
            self.redis = try RedisEndpoint(url: redisURL)
        } catch {
            throw ConfigurationError(variable: "REDIS_URL", reason: error.reason)
        }
        self.redisPoolSize = try environment.integer("REDIS_POOL_SIZE", default: 8, in: 1...256)
        self.accessSecret = try environment.secret("ACCESS_SECRET")
        self.refreshSecret = try environment.secret("REFRESH_SECRET")
        self.accessTokenMinutes = try environment.integer("ACCESS_TOKEN_EXPIRE_M", default: 15, in: 1...1440)
        self.refreshTokenMinutes = try environment.integer("REFRESH_TOKEN_EXPIRE_M", default: 43200, in: 1...525_600)
        self.issuer = environment.string("JWT_ISSUER", default: "auth-service")
        self.audience = environment.string("JWT_AUDIENCE", default: "auth-service")
        self.reuseGraceSeconds = try environment.integer("REFRESH_REUSE_GRACE_SECONDS", default: 0, in: 0...60)
        self.redisKeyPrefix = environment.string("REDIS_KEY_PREFIX", default: "auth")
        guard self.redisKeyPrefix.utf8.count <= 64, !self.redisKeyPrefix.contains("{"), !self.redisKeyPrefix.contains("}") else {
            throw ConfigurationError(variable: "REDIS_KEY_PREFIX", reason: "must be at most 64 characters without braces")
        }
        self.blockingThreads = try environment.integer("BLOCKING_THREADS", default: max(4, cores * 2), in: 1...256)
        self.blockingQueueLimit = try environment.integer("BLOCKING_QUEUE_LIMIT", default: 4096, in: 1...100_000)
        self.maximumFrameLength = try environment.integer("MAX_FRAME_BYTES", default: 1 << 20, in: 4096...(64 << 20))
    }
}
