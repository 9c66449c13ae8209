import ServiceTesting
import Foundation
import NIOHTTP1
import Testing
@testable import IdentityService

/// Seed 002's subscription tiers and seed 003's staff flags, on a database of their own with
/// the first super admin created at start.
@Suite("Seed 002's tiers through the real stack", .serialized)
struct TierTests {
    @Test func administratorsSetTiersThatTokensCarryAndRateLimitsFollow() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(
            tokenInstances: 2,
            overrides: [
                "DATABASE_URL": database.url,
                "BOOTSTRAP_ADMIN_USERNAME": "root",
                "BOOTSTRAP_ADMIN_EMAIL": "root@example.com",
                "BOOTSTRAP_ADMIN_PASSWORD": "Adm1nSecretPw",
                "RATE_LIMIT_ENABLED": "true",
                "RATE_LIMIT_LOGIN": "100/minute",
                "RATE_LIMIT_REGISTER": "100/hour",
                "RATE_LIMIT_DEFAULT": "1000/minute",
                // A tier's limit wins over the role's.
                "RATE_LIMIT_TIERS": #"{"Pro": "3/minute", "user": "500/minute"}"#,
            ]
        )
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let root = try await Seed001Tests.AdminTests.eventually { try await api.tokens("root", password: "Adm1nSecretPw") }
        let alice = try await api.register("alice")
        let bob = try await api.register("bob")
        let aliceSession = try await api.tokens("alice")
        #expect(try await api.me(bearer: aliceSession.access).json?["tier"] is NSNull, "no tier to begin with")

        let notAdmin = try await api.json(.PUT, "/api/v1/admin/users/\(bob)/tier?tier=Pro", bearer: aliceSession.access)
        #expect(notAdmin.status == 403)
        #expect(notAdmin.detail == "Missing permissions: update:any_user")
        #expect(try await api.json(.PUT, "/api/v1/admin/users/\(alice)/tier", bearer: root.access).status == 422)
        let badName = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/tier?tier=Pro%20Plus!", bearer: root.access)
        #expect(badName.status == 422)
        #expect(badName.detail.hasPrefix("tier:"))
        #expect(try await api.json(.PUT, "/api/v1/admin/users/999999/tier?tier=Pro", bearer: root.access).status == 404)

        let set = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/tier?tier=Pro", bearer: root.access)
        #expect(set.status == 200, "\(set.body)")
        #expect(set.json?["tier"] as? String == "Pro")
        let listed = try await api.json(.GET, "/api/v1/admin/users", bearer: root.access)
        #expect(listed.jsonArray?.first { $0["id"] as? Int == alice }?["tier"] as? String == "Pro")

        // The session goes on (a tier grants no permission) and carries the tier from its next refresh.
        let stillValid = try await api.me(bearer: aliceSession.access)
        #expect(stillValid.status == 200)
        #expect(stillValid.json?["tier"] as? String == "Pro")
        #expect(stillValid.headers.first(name: "ratelimit-limit") == "500", "the old token has no tier claim: the role's limit")
        #expect(jwtClaims(aliceSession.access)?["tier"] == nil)
        let refreshed = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": aliceSession.refresh])
        #expect(refreshed.status == 200, "\(refreshed.body)")
        let proAccess = try #require(refreshed.json?["access_token"] as? String)
        #expect(jwtClaims(proAccess)?["tier"] as? String == "Pro")
        var statuses: [Int] = []
        for _ in 0..<4 {
            let reply = try await api.me(bearer: proAccess)
            statuses.append(reply.status)
            if reply.status == 200 { #expect(reply.headers.first(name: "ratelimit-limit") == "3", "the tier's limit wins over the role's") }
        }
        #expect(statuses == [200, 200, 200, 429], "\(statuses)")
        // A new login carries it too.
        #expect(jwtClaims(try await api.tokens("alice").access)?["tier"] as? String == "Pro")

        let bobSession = try await api.tokens("bob")
        #expect(jwtClaims(bobSession.access)?["tier"] == nil)
        #expect(try await api.me(bearer: bobSession.access).headers.first(name: "ratelimit-limit") == "500")

        // Removing the tier.
        let removed = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/tier?tier=", bearer: root.access)
        #expect(removed.status == 200)
        #expect(removed.json?["tier"] is NSNull)
        let next = try #require(refreshed.json?["refresh_token"] as? String)
        let plain = try #require(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": next]).json?["access_token"] as? String)
        #expect(jwtClaims(plain)?["tier"] == nil)

        // Seed 003's staff flags follow the role.
        let kit = AuthKitClient(base: stack.baseURL)
        #expect(try await kit.login("root", password: "Adm1nSecretPw").status == 200)
        let rootMe = try await kit.send(.GET, "/me")
        #expect(rootMe.json?["is_staff"] as? Bool == true)
        #expect(rootMe.json?["is_superuser"] as? Bool == true)
        #expect(try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=admin", bearer: root.access).status == 200)
        let bobKit = AuthKitClient(base: stack.baseURL)
        #expect(try await bobKit.login("bob", password: "StrongPass123").status == 200)
        let bobMe = try await bobKit.send(.GET, "/me")
        #expect(bobMe.json?["is_staff"] as? Bool == true)
        #expect(bobMe.json?["is_superuser"] as? Bool == false)

        // Audited, with who did it.
        let statement = PreparedStatement(
            name: "tier_rows",
            sql: "SELECT detail->>'old_tier', detail->>'new_tier', detail->>'by_user_id' FROM audit_events WHERE event = 'tier_changed' ORDER BY id"
        )
        var rows: [[String?]] = []
        for _ in 0..<50 {
            rows = try await database.pool.withConnection { try $0.query(statement).rows }
            if rows.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let rootID = try #require(try await api.me(bearer: root.access).json?["id"] as? Int)
        #expect(rows.map { $0.compactMap { $0 } } == [["", "Pro", String(rootID)], ["Pro", "", String(rootID)]])
        _ = await stack.stop()
    }
}
