import Foundation
import NIOHTTP1
import ServiceTesting
import Testing

@testable import IdentityService

/// Several tabs refreshing with one cookie, or an answer lost on the network, through the real
/// stack: with `REFRESH_REUSE_GRACE_SECONDS` the replays converge on one successor, whichever
/// token instance answers them.
@Suite("Refresh replays within the grace")
struct RefreshReplayTests {
    @Test func fiftyConcurrentRefreshesWithOneTokenAllGetTheSameSuccessor() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(tokenInstances: 2, overrides: ["REFRESH_REUSE_GRACE_SECONDS": "10", "DATABASE_URL": database.url])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("tabs")
        let userID = try await api.register(name)
        let session = try await api.tokens(name)

        let replies = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let reply = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
                    return (reply.status, reply.json?["refresh_token"] as? String)
                }
            }
            var replies: [(Int, String?)] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        #expect(replies.allSatisfy { $0.0 == 200 }, "\(replies.map(\.0))")
        let successors = Set(replies.compactMap(\.1))
        #expect(successors.count == 1, "one successor, not \(successors.count) branches")

        // The successor is a live token of the session; the original, presented again later than
        // the grace, would be theft (tested on the store with its clock).
        let successor = try #require(successors.first)
        let next = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": successor])
        #expect(next.status == 200)
        #expect(next.json?["refresh_token"] as? String != successor)

        // One rotation and 49 replays, each audited as what it was: a thief inside the window
        // would be among the replays.
        let statement = PreparedStatement(
            name: "refresh_events",
            sql: "SELECT event, count(*)::text FROM audit_events WHERE user_id = \(userID) AND event LIKE 'token_refresh%' GROUP BY event"
        )
        var counts: [String: String] = [:]
        for _ in 0..<50 where counts != ["token_refresh": "2", "token_refresh_replayed": "49"] {
            try await Task.sleep(for: .milliseconds(100))
            let rows = try await database.pool.withConnection { try $0.query(statement).rows }
            counts = Dictionary(uniqueKeysWithValues: rows.compactMap { row in row[0].flatMap { event in row[1].map { (event, $0) } } })
        }
        #expect(counts == ["token_refresh": "2", "token_refresh_replayed": "49"])
        _ = await stack.stop()
    }
}
