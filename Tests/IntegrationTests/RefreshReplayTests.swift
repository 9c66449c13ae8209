import Foundation
import NIOHTTP1
import Testing

/// Several tabs refreshing with one cookie, or an answer lost on the network, through the real
/// stack: with `REFRESH_REUSE_GRACE_SECONDS` the replays converge on one successor, whichever
/// token instance answers them.
@Suite("Refresh replays within the grace")
struct RefreshReplayTests {
    @Test func fiftyConcurrentRefreshesWithOneTokenAllGetTheSameSuccessor() async throws {
        let stack = try await Stack(tokenInstances: 2, overrides: ["REFRESH_REUSE_GRACE_SECONDS": "10"])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("tabs")
        _ = try await api.register(name)
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
        _ = await stack.stop()
    }
}
