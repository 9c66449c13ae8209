#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif
public import NIOCore
public import ServiceConfiguration
public import WireTransport

/// Everything the token process reads from its environment, parsed and checked once at start.
public struct TokenConfiguration: Sendable {
    /// Where this instance listens (`TOKEN_SOCKET`; or, with only `TOKEN_SOCKET_DIR` set,
    /// `<dir>/token-<hostname>.sock`, so each compose replica names its own); each instance has its own.
    public var socket: WireEndpointAddress
    /// Who may call (`BACKEND_ALLOWED_UIDS`) and the mutual TLS of TCP (`BACKEND_TLS_*`).
    public var backendSecurity: BackendSecurity
    /// Redis (`REDIS_URL`).
    public var redis: RedisEndpoint
    /// Connections to Redis (`REDIS_POOL_SIZE`, one per event loop = cores), spread over the event
    /// loops; commands pipeline on them.
    public var redisConnections: Int
    /// Commands waiting for replies on one connection before more are refused as "overloaded"
    /// (`REDIS_MAX_PENDING`, 4096).
    public var redisMaximumPending: Int
    /// The access tokens' algorithm and keys (`JWT_ALGORITHM`; `ACCESS_SECRET` for HS256, at
    /// least 32 characters; `JWT_KEY_DIR` or `JWT_PRIVATE_KEY_FILE` for EdDSA and ES256).
    public var signingKeys: SigningKeyConfiguration
    /// The key of the refresh tokens' keyed hashes (`REFRESH_SECRET` or `REFRESH_SECRET_FILE`, at least 32 characters).
    public var refreshSecret: String
    /// Access-token lifetime in minutes (`ACCESS_TOKEN_EXPIRE_M`, 15).
    public var accessTokenMinutes: Int
    /// Refresh-token lifetime in minutes (`REFRESH_TOKEN_EXPIRE_M`, 43200 = 30 days), renewed at
    /// each rotation.
    public var refreshTokenMinutes: Int
    /// The longest a session lasts from its login in minutes, however often it refreshes
    /// (`REFRESH_ABSOLUTE_LIFETIME_M`, 43200).
    public var refreshAbsoluteMinutes: Int
    /// The `iss` of access tokens (`JWT_ISSUER`, `auth-service`).
    public var issuer: String
    /// The `aud` of access tokens (`JWT_AUDIENCE`, `auth-service`).
    public var audience: String
    /// Seconds after a rotation during which the old token may be presented again without
    /// counting as theft (`REFRESH_REUSE_GRACE_SECONDS`, 0 as in the seeds).
    public var reuseGraceSeconds: Int
    /// The prefix of every Redis key (`REDIS_KEY_PREFIX`, `auth`).
    public var redisKeyPrefix: String
    /// The most live sessions one user holds; a login beyond it ends the least recently used
    /// (`MAX_SESSIONS_PER_USER`, 100).
    public var maximumSessionsPerUser: Int
    /// The largest frame between processes (`MAX_FRAME_BYTES`).
    public var maximumFrameLength: Int

    public init(environment: EnvironmentReader, cores: Int = System.coreCount) throws(ConfigurationError) {
        self.socket = try Self.socket(environment: environment)
        self.backendSecurity = try BackendSecurity(environment: environment)
        try self.backendSecurity.check(self.socket, variable: "TOKEN_SOCKET")
        let redisURL = try environment.requireValueOrFile("REDIS_URL")
        do {
            self.redis = try RedisEndpoint(url: redisURL)
        } catch {
            throw ConfigurationError(variable: "REDIS_URL", reason: error.reason)
        }
        self.redisConnections = try environment.integer("REDIS_POOL_SIZE", default: cores, in: 1...256)
        self.redisMaximumPending = try environment.integer("REDIS_MAX_PENDING", default: 4096, in: 1...100_000)
        self.signingKeys = try SigningKeyConfiguration(environment: environment)
        self.refreshSecret = try environment.secret("REFRESH_SECRET")
        try environment.requireDistinct()
        self.accessTokenMinutes = try environment.integer("ACCESS_TOKEN_EXPIRE_M", default: 15, in: 1...1440)
        self.refreshTokenMinutes = try environment.integer("REFRESH_TOKEN_EXPIRE_M", default: 43200, in: 1...525_600)
        self.refreshAbsoluteMinutes = try environment.integer("REFRESH_ABSOLUTE_LIFETIME_M", default: 43200, in: 1...5_256_000)
        self.issuer = environment.string("JWT_ISSUER", default: "auth-service")
        self.audience = environment.string("JWT_AUDIENCE", default: "auth-service")
        self.reuseGraceSeconds = try environment.integer("REFRESH_REUSE_GRACE_SECONDS", default: 0, in: 0...60)
        self.maximumSessionsPerUser = try environment.integer("MAX_SESSIONS_PER_USER", default: 100, in: 1...1000)
        self.redisKeyPrefix = environment.string("REDIS_KEY_PREFIX", default: "auth")
        guard self.redisKeyPrefix.utf8.count <= 64, !self.redisKeyPrefix.contains("{"), !self.redisKeyPrefix.contains("}") else {
            throw ConfigurationError(variable: "REDIS_KEY_PREFIX", reason: "must be at most 64 characters without braces")
        }
        self.maximumFrameLength = try environment.integer("MAX_FRAME_BYTES", default: 1 << 20, in: 4096...(64 << 20))
    }

    /// This instance's socket, as `serve` and `healthcheck` both work it out.
    public static func socket(environment: EnvironmentReader) throws(ConfigurationError) -> WireEndpointAddress {
        var text = environment.string("TOKEN_SOCKET", default: "/run/auth/token.sock")
        var variable = "TOKEN_SOCKET"
        if environment.optional("TOKEN_SOCKET") == nil, let directory = environment.optional("TOKEN_SOCKET_DIR") {
            text = (directory.hasSuffix("/") ? directory : directory + "/") + "token-\(Self.hostname()).sock"
            variable = "TOKEN_SOCKET_DIR"
        }
        guard let socket = WireEndpointAddress(parsing: text) else {
            throw ConfigurationError(variable: variable, reason: "must give a socket path (under 108 bytes) or tcp://host:port")
        }
        return socket
    }

    static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "local" }
        let name = String(cString: buffer).filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }
        return name.isEmpty ? "local" : name
    }
}
