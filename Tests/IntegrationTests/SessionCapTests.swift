import Foundation
import NIOHTTP1
import ServiceTesting
import Testing
import WireTesting

@testable import IdentityService

/// The cap on a user's live sessions and the paged session list, through the real stack.
@Suite("Sessions per user through the real stack")
struct SessionCapTests {
    @Test func aLoginBeyondTheCapEndsTheOldestAndTheListComesInPages() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(tokenInstances: 1, overrides: ["MAX_SESSIONS_PER_USER": "3", "DATABASE_URL": database.url])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("capped")
        let userID = try await api.register(name)
        var sessions: [(access: String, refresh: String)] = []
        for _ in 0..<4 { sessions.append(try await api.tokens(name)) }

        // The fourth login ended the first session: its refresh and access tokens die.
        #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": sessions[0].refresh]).status == 401)
        #expect(try await api.me(bearer: sessions[0].access).status == 401)
        #expect(try await api.me(bearer: sessions[1].access).status == 200)

        // Pages of two: three sessions, then none left.
        let first = try await api.json(.GET, "/api/v1/sessions?limit=2", bearer: sessions[3].access)
        #expect(first.status == 200, "\(first.body)")
        let firstPage = try #require(first.json?["sessions"] as? [[String: Any]])
        #expect(firstPage.count == 2)
        #expect(firstPage.first?["current"] as? Bool == true, "newest first")
        let cursor = try #require(first.json?["next_cursor"] as? String)
        let second = try await api.json(
            .GET,
            "/api/v1/sessions?limit=2&cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
            bearer: sessions[3].access
        )
        #expect(second.status == 200, "\(second.body)")
        let secondPage = try #require(second.json?["sessions"] as? [[String: Any]])
        #expect(secondPage.count == 1)
        #expect(second.json?.keys.contains("next_cursor") == true && second.json?["next_cursor"] is NSNull, "null on the last page")
        let ids = (firstPage + secondPage).compactMap { $0["id"] as? String }
        #expect(Set(ids).count == 3)
        let whole = try await api.json(.GET, "/api/v1/sessions", bearer: sessions[3].access)
        #expect((whole.json?["sessions"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ids)

        for query in ["limit=0", "limit=101", "limit=x", "cursor=bm90LWEtY3Vyc29y", "cursor=%00"] {
            let refused = try await api.json(.GET, "/api/v1/sessions?\(query)", bearer: sessions[3].access)
            #expect(refused.status == 422, "\(query): \(refused.body)")
        }

        // The eviction is audited.
        let statement = PreparedStatement(
            name: "evictions",
            sql: "SELECT detail->>'sessions_ended' FROM audit_events WHERE event = 'session_evicted' AND user_id = \(userID)"
        )
        var rows: [[String?]] = []
        for _ in 0..<50 where rows.isEmpty {
            rows = try await database.pool.withConnection { try $0.query(statement).rows }
            if rows.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(rows.map { $0.first ?? nil } == ["1"])
        _ = await stack.stop()
    }
}
