import Foundation
import Logging
@testable import IdentityService

/// A private schema in the test PostgreSQL, migrated, dropped at the end: tests run in parallel
/// and repeat cleanly.
final class TestDatabase: Sendable {
    let schema: String
    let url: String
    let blockingPool: BlockingPool
    let pool: PostgresPool

    init() async throws {
        self.schema = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let base = TestServices.databaseURL
        self.url = base + (base.contains("?") ? "&" : "?") + "options=-csearch_path%3D\(self.schema)"
        var logger = Logger(label: "test-db")
        logger.logLevel = .critical
        self.blockingPool = BlockingPool(threads: 8, maximumPending: 1000)
        let admin = PostgresPool(url: base, size: 1, blockingPool: self.blockingPool, logger: logger)
        let schema = self.schema
        try await admin.withConnection { try $0.executeScript("CREATE SCHEMA \(schema)") }
        self.pool = PostgresPool(url: self.url, size: 8, blockingPool: self.blockingPool, logger: logger)
        try await MigrationRunner(pool: self.pool, logger: logger).run()
    }

    /// Runs trusted SQL in the schema (test set-up only).
    func execute(_ sql: String) async throws {
        try await self.pool.withConnection { try $0.executeScript(sql) }
    }

    func drop() async {
        var logger = Logger(label: "test-db")
        logger.logLevel = .critical
        let admin = PostgresPool(url: TestServices.databaseURL, size: 1, blockingPool: self.blockingPool, logger: logger)
        let schema = self.schema
        try? await admin.withConnection { try $0.executeScript("DROP SCHEMA \(schema) CASCADE") }
    }
}
