import Foundation
public import IdentityService
import Logging

/// A private schema in the test PostgreSQL, migrated, dropped at the end: tests run in parallel
/// and repeat cleanly.
public final class TestDatabase: Sendable {
    public let schema: String
    public let url: String
    public let blockingPool: BlockingPool
    public let pool: PostgresPool

    public init() async throws {
        self.schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let base = TestServices.databaseURL
        self.url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(self.schema)"
        var logger = Logger(label: "test-db")
        logger.logLevel = .critical
        self.blockingPool = BlockingPool(threads: 8, maximumPending: 1000)
        let admin = PostgresPool(url: base, size: 1, blockingPool: self.blockingPool, logger: logger)
        let schema = self.schema
        try await admin.executeScript("CREATE SCHEMA \(schema)")
        self.pool = PostgresPool(url: self.url, size: 8, blockingPool: self.blockingPool, logger: logger)
        try await MigrationRunner(pool: self.pool, logger: logger).run()
    }

    /// Runs trusted SQL in the schema (test set-up only).
    public func execute(_ sql: String) async throws {
        try await self.pool.executeScript(sql)
    }

    public func drop() async {
        var logger = Logger(label: "test-db")
        logger.logLevel = .critical
        let admin = PostgresPool(url: TestServices.databaseURL, size: 1, blockingPool: self.blockingPool, logger: logger)
        let schema = self.schema
        try? await admin.executeScript("DROP SCHEMA \(schema) CASCADE")
    }
}
