public import Logging

/// Applies ``Migration/all`` in order, each once, recording them in `schema_migrations`.
///
/// Safe to run twice and from two processes at once: a session-level advisory lock serialises
/// runners, and each migration commits together with its record.
public struct MigrationRunner: Sendable {
    /// The advisory lock key: an arbitrary constant that names "identity schema migrations".
    static let lockKey = "7206151803"

    public let pool: PostgresPool
    public let migrations: [Migration]
    let logger: Logger

    public init(pool: PostgresPool, migrations: [Migration] = Migration.all, logger: Logger) {
        self.pool = pool
        self.migrations = migrations
        self.logger = logger
    }

    /// Applies what is missing and returns the versions applied now.
    @discardableResult
    public func run() async throws -> [Int] {
        let migrations = self.migrations
        let applied = try await self.pool.withConnection { connection -> [Int] in
            try connection.executeScript("SELECT pg_advisory_lock(\(Self.lockKey))")
            defer { try? connection.executeScript("SELECT pg_advisory_unlock(\(Self.lockKey))") }
            try connection.executeScript(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """
            )
            let rows = try connection.query(
                PreparedStatement(name: "migrations_applied", sql: "SELECT version FROM schema_migrations")
            )
            let done = Set(rows.rows.compactMap { $0.first.flatMap { $0 }.flatMap { Int($0) } })
            var appliedNow: [Int] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !done.contains(migration.version) {
                try connection.executeScript("BEGIN")
                do {
                    try connection.executeScript(migration.sql)
                    _ = try connection.query(
                        PreparedStatement(name: "migrations_record", sql: "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"),
                        [String(migration.version), migration.name]
                    )
                    try connection.executeScript("COMMIT")
                } catch {
                    try? connection.executeScript("ROLLBACK")
                    throw error
                }
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
        for version in applied {
            self.logger.info("migration applied", metadata: ["version": "\(version)"])
        }
        return applied
    }
}
