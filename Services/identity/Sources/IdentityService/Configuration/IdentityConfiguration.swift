public import NIOCore
public import ServiceSupport
public import WireTransport

/// Everything the identity process reads from its environment, parsed and checked once at start.
public struct IdentityConfiguration: Sendable {
    /// Where identity listens (`IDENTITY_SOCKET`).
    public var socket: WireEndpointAddress
    /// The PostgreSQL URL (`DATABASE_URL`), with the seed's `+asyncpg` driver suffix removed.
    public var databaseURL: String
    /// Connections to PostgreSQL (`DATABASE_POOL_SIZE`).
    public var databasePoolSize: Int
    /// Threads for blocking calls, libpq and Argon2 (`BLOCKING_THREADS`, default: the cores).
    public var blockingThreads: Int
    /// Work admitted to those threads at once before "overloaded" (`BLOCKING_QUEUE_LIMIT`).
    public var blockingQueueLimit: Int
    /// The largest frame between processes (`MAX_FRAME_BYTES`).
    public var maximumFrameLength: Int

    public init(environment: EnvironmentReader, cores: Int = System.coreCount) throws(ConfigurationError) {
        let socketText = environment.string("IDENTITY_SOCKET", default: "/run/auth/identity.sock")
        guard let socket = WireEndpointAddress(parsing: socketText) else {
            throw ConfigurationError(variable: "IDENTITY_SOCKET", reason: "must be a socket path or tcp://host:port")
        }
        self.socket = socket
        self.databaseURL = try Self.postgresURL(environment.require("DATABASE_URL"))
        self.databasePoolSize = try environment.integer("DATABASE_POOL_SIZE", default: 8, in: 1...200)
        self.blockingThreads = try environment.integer("BLOCKING_THREADS", default: max(2, cores), in: 1...256)
        self.blockingQueueLimit = try environment.integer("BLOCKING_QUEUE_LIMIT", default: 256, in: 1...100_000)
        self.maximumFrameLength = try environment.integer("MAX_FRAME_BYTES", default: 1 << 20, in: 4096...(64 << 20))
    }

    /// Accepts `postgresql://`, `postgres://` and the seed's `postgresql+asyncpg://` forms.
    static func postgresURL(_ text: String) throws(ConfigurationError) -> String {
        for scheme in ["postgresql+asyncpg://", "postgres+asyncpg://", "postgresql://", "postgres://"] where text.hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            guard !rest.isEmpty else { break }
            return "postgresql://" + rest
        }
        throw ConfigurationError(variable: "DATABASE_URL", reason: "must start with postgresql:// (or postgresql+asyncpg://)")
    }
}
