import NIOHTTP1
import ServiceTesting
import Testing
import WireTesting

/// The cache as a client meets it: the real stack, two identity instances behind the gateway.
@Suite("User cache through the stack")
struct UserCacheStackTests {
    @Test func changesMadeAnywhereReachAboutMe() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(tokenInstances: 1, identityInstances: 2, overrides: ["DATABASE_URL": database.url])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("cached")
        let id = try await api.register(name)
        let session = try await api.tokens(name)
        // Read a few times: whichever instance answers keeps the user.
        for _ in 0..<6 { #expect(try await api.me(bearer: session.access).status == 200) }

        // Through the API: whichever instance writes, every later read sees it.
        let renamed = try await api.json(.PUT, "/api/v1/users/me", ["full_name": "Through The API"], bearer: session.access)
        #expect(renamed.status == 200, "\(renamed.body)")
        try await waitUntil("both instances answer the new name", within: .seconds(10)) {
            for _ in 0..<6 where try await api.me(bearer: session.access).json?["full_name"] as? String != "Through The API" { return false }
            return true
        }
        // Behind identity's back, as an operator would.
        try await database.execute("UPDATE users SET full_name = 'Through psql' WHERE id = \(id)")
        try await waitUntil("both instances answer the operator's name", within: .seconds(10)) {
            for _ in 0..<6 where try await api.me(bearer: session.access).json?["full_name"] as? String != "Through psql" { return false }
            return true
        }
        try await database.execute("UPDATE users SET is_active = false WHERE id = \(id)")
        try await waitUntil("a deactivated account is refused by both", within: .seconds(10)) {
            for _ in 0..<6 where try await api.me(bearer: session.access).status != 401 { return false }
            return true
        }
        _ = await stack.stop()
    }
}
