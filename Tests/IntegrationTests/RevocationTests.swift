import ServiceTesting
import Foundation
import NIOHTTP1
import Testing
import WireTesting
@testable import IdentityService

/// A revocation of everything cannot be outlived: refresh asks identity, and revocations the
/// token service did not take are kept by identity until a gateway applies them.
@Suite("Revocations that cannot be outlived", .serialized)
struct RevocationTests {
    static func admin(_ database: TestDatabase) -> [String: String] {
        [
            "DATABASE_URL": database.url, "BOOTSTRAP_ADMIN_USERNAME": "root", "BOOTSTRAP_ADMIN_EMAIL": "root@example.com",
            "BOOTSTRAP_ADMIN_PASSWORD": "Adm1nSecretPw",
        ]
    }

    /// The token service never heard of it (an operator moved the epoch by hand, or the call was
    /// lost): the session still ends at its next refresh, because refresh asks identity.
    @Test func aRefreshIsRefusedWhenIdentityRevokedTheSession() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(tokenInstances: 1, overrides: ["DATABASE_URL": database.url])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let carol = try await api.register("carol")
        let session = try await api.tokens("carol")
        let cookieClient = CookieClient(base: stack.baseURL)
        #expect(try await SeedFlowTests.login(cookieClient, "carol").status == 200)

        let moment = Int64(Date().timeIntervalSince1970 * 1000) + 1
        try await database.execute("UPDATE users SET token_epoch = \(moment) WHERE id = \(carol)")
        // Identity's cache hears of the change by notification: wait until its answers show it.
        try await waitUntil("identity sees the new epoch") { try await api.me(bearer: session.access).status == 401 }
        let body = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        #expect(body.status == 401, "\(body.status) \(body.body)")
        #expect(try await cookieClient.send(.POST, "/api/v1/refresh").status == 401, "every route's refresh asks")
        // The session is gone in Redis too: presenting the token again is not even reuse.
        #expect(!(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh]).detail.contains("reuse")))
        let fresh = try await api.tokens("carol")
        #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": fresh.refresh]).status == 200, "a later login is not touched")
        _ = await stack.stop()
    }

    /// Redis is down when the role changes, and the gateway that made the change stops before
    /// Redis is back (its retry queue is lost): the next gateway applies the revocation, because
    /// identity keeps it until the token service confirms it.
    @Test func aRevocationSurvivesTheGatewayThatMadeIt() async throws {
        let redis = try await PrivateRedis(persistent: true)
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        var overrides = Self.admin(database)
        overrides["REDIS_URL"] = redis.url
        let stack = try await Stack(tokenInstances: 1, overrides: overrides)
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let root = try await Seed001Tests.AdminTests.eventually { try await api.tokens("root", password: "Adm1nSecretPw") }
        let dave = try await api.register("dave")
        _ = try await api.tokens("dave")
        let families = "\(stack.environment["REDIS_KEY_PREFIX"] ?? "auth"):{u:\(dave)}:families"
        #expect(try await redis.cli(["SCARD", families]).contains("1"))

        await redis.stop()
        let changed = try await api.json(.PUT, "/api/v1/admin/users/\(dave)/role?new_role=moderator", bearer: root.access)
        #expect(changed.status == 200, "\(changed.body)")
        #expect(await stack.gateway.stop() == 0)
        try await redis.start()
        #expect(try await redis.cli(["SCARD", families]).contains("1"), "nothing has reached Redis yet")

        _ = try await stack.startExtraGateway()
        var left = "1"
        for _ in 0..<100 where left.contains("1") {
            try await Task.sleep(for: .milliseconds(100))
            left = try await redis.cli(["SCARD", families])
        }
        #expect(left.contains("0"), "the new gateway applied the revocation: \(left)\n\(stack.logs)")
        let statement = PreparedStatement(name: "confirmed", sql: "SELECT token_epoch = sessions_revoked_ms FROM users WHERE id = \(dave)")
        var confirmed = ""
        for _ in 0..<50 where confirmed != "t" {
            confirmed = try await database.pool.withConnection { try $0.query(statement).rows.first?.first ?? "" } ?? ""
            if confirmed != "t" { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(confirmed == "t", "identity knows it was applied")
        _ = await stack.stop()
    }
}
