import Logging
import WireProtocol
import WireTransport

/// Answers `ready`: PostgreSQL answers `SELECT 1` through libpq.
struct IdentityReadiness: Sendable {
    let pool: PostgresPool
    let instance: String

    func check(_ request: WireRequest) async -> WireReadyReply {
        var postgres = WireDependencyCheck()
        postgres.name = "postgresql"
        do {
            let rows = try await self.pool.withConnection { connection in
                try connection.query(PreparedStatement(name: "ready_select_one", sql: "SELECT 1 AS one"))
            }
            postgres.ok = rows.first("one") == "1"
            if !postgres.ok { postgres.detail = "unexpected answer to SELECT 1" }
        } catch let error as PostgresError {
            postgres.ok = false
            postgres.detail = error.kind == .connectionFailed ? "unreachable" : "query failed"
            request.logger.warning("postgres not ready", metadata: ["error": "\(error)"])
        } catch {
            postgres.ok = false
            postgres.detail = "\(error)"
        }
        var reply = WireReadyReply()
        reply.ready = postgres.ok
        reply.checks = [postgres]
        reply.instance = self.instance
        return reply
    }
}
