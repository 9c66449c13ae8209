public import Logging

/// PostgreSQL connections for identity: libpq behind a ``BlockingConnectionPool``.
public final class PostgresPool: Sendable {
    public let url: String
    private let connections: BlockingConnectionPool<LibPQConnection>
    private let logger: Logger

    public init(url: String, size: Int, blockingPool: BlockingPool, logger: Logger) {
        self.url = url
        self.logger = logger
        self.connections = BlockingConnectionPool(name: "postgres", size: size, blockingPool: blockingPool) {
            try LibPQConnection(url: url)
        }
    }

    /// Runs trusted SQL without parameters on a pool connection (schema set-up; never input).
    public func executeScript(_ sql: String) async throws {
        try await self.withConnection { try $0.executeScript(sql) }
    }

    /// Runs `work` with a connection on a pool thread.
    ///
    /// - Throws: ``PostgresError`` (kind `connectionFailed` when PostgreSQL cannot be reached),
    ///   `BlockingPoolError.overloaded`, or what `work` throws.
    func withConnection<Result: Sendable>(_ work: @escaping @Sendable (LibPQConnection) throws -> Result) async throws -> Result {
        do {
            return try await self.connections.withConnection(work)
        } catch let error as PostgresError where error.kind == .connectionFailed {
            self.logger.warning("postgres unreachable", metadata: ["error": "\(error.message)"])
            throw error
        }
    }

    /// ``withConnection(_:)`` for identity's stores: an unreachable PostgreSQL becomes
    /// ``IdentityError/databaseUnavailable`` (the wire's "dependency unavailable", HTTP 503).
    func run<Result: Sendable>(_ work: @escaping @Sendable (LibPQConnection) throws -> Result) async throws -> Result {
        do {
            return try await self.withConnection(work)
        } catch let error as PostgresError where error.kind == .connectionFailed {
            throw IdentityError.databaseUnavailable
        }
    }
}
