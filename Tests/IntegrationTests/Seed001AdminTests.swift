import ServiceTesting
import Foundation
import NIOHTTP1
import Testing
@testable import IdentityService

/// Seed 001's admin routes and audit events, on a database of their own (the dashboard counts
/// every user) with the first super admin created by `BOOTSTRAP_ADMIN_*` at start.
extension Seed001Tests {
    @Suite("admin and audit")
    struct AdminTests {
        static func unique(_ prefix: String) -> String { SeedFlowTests.unique(prefix) }

        static func stack(_ database: TestDatabase, identityInstances: Int = 1) async throws -> Stack {
            let stack = try await Stack(
                tokenInstances: 1,
                identityInstances: identityInstances,
                overrides: [
                    "DATABASE_URL": database.url,
                    "BOOTSTRAP_ADMIN_USERNAME": "root",
                    "BOOTSTRAP_ADMIN_EMAIL": "root@example.com",
                    "BOOTSTRAP_ADMIN_PASSWORD": "Adm1nSecretPw",
                ]
            )
            try await stack.waitUntilReady()
            return stack
        }

        @Test func adminRoutesFollowTheRoleRules() async throws {
            let database = try await TestDatabase()
            defer { Task { await database.drop() } }
            // Two identity instances start together: the bootstrap admin is created once.
            let stack = try await Self.stack(database, identityInstances: 2)
            let api = APIClient(base: stack.baseURL)
            let rootSession = try await Self.eventually { try await api.tokens("root", password: "Adm1nSecretPw") }
            let root = try #require(try await api.me(bearer: rootSession.access).json)
            #expect(root["role"] as? String == "super_admin")
            let rootID = try #require(root["id"] as? Int)

            let alice = try await api.register("alice")
            let bob = try await api.register("bob")
            try await api.register("carol")
            let aliceSession = try await api.tokens("alice")

            let notAdmin = try await api.json(.GET, "/api/v1/admin/users", bearer: aliceSession.access)
            #expect(notAdmin.status == 403)
            #expect(notAdmin.detail == "Insufficient permissions. Required role: admin, super_admin")
            #expect(try await api.json(.GET, "/api/v1/admin/dashboard", bearer: aliceSession.access).status == 403)
            #expect(try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=moderator", bearer: aliceSession.access).status == 403)
            #expect(try await api.json(.GET, "/api/v1/admin/users").status == 401)

            let listed = try await api.json(.GET, "/api/v1/admin/users", bearer: rootSession.access)
            #expect(listed.status == 200, "\(listed.body)")
            #expect(listed.jsonArray?.compactMap { $0["username"] as? String } == ["root", "alice", "bob", "carol"])
            let page = try await api.json(.GET, "/api/v1/admin/users?skip=1&limit=2", bearer: rootSession.access)
            #expect(page.jsonArray?.compactMap { $0["username"] as? String } == ["alice", "bob"])
            #expect(try await api.json(.GET, "/api/v1/admin/users?limit=0", bearer: rootSession.access).status == 422)
            #expect(try await api.json(.GET, "/api/v1/admin/users?skip=-1", bearer: rootSession.access).status == 422)

            let promoted = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/role?new_role=admin", bearer: rootSession.access)
            #expect(promoted.status == 200, "\(promoted.body)")
            #expect(promoted.json?["role"] as? String == "admin")
            #expect(try await api.me(bearer: aliceSession.access).status == 401, "a role change ends the user's sessions")
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": aliceSession.refresh]).status == 401)

            let admin = try await api.tokens("alice")
            #expect(try await api.json(.GET, "/api/v1/admin/users", bearer: admin.access).status == 200)
            let own = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/role?new_role=user", bearer: admin.access)
            #expect(own.status == 400)
            #expect(own.detail == "Cannot change your own role")
            let grant = try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=super_admin", bearer: admin.access)
            #expect(grant.status == 403)
            let touchRoot = try await api.json(.PUT, "/api/v1/admin/users/\(rootID)/role?new_role=user", bearer: admin.access)
            #expect(touchRoot.status == 403)
            #expect(touchRoot.detail == "Cannot modify a SUPER_ADMIN user")
            #expect(try await api.json(.PUT, "/api/v1/admin/users/999999/role?new_role=user", bearer: admin.access).status == 404)
            #expect(try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=emperor", bearer: admin.access).status == 422)
            #expect(try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role", bearer: admin.access).status == 422)
            #expect(try await api.json(.PUT, "/api/v1/admin/users/abc/role?new_role=user", bearer: admin.access).status == 422)
            let moderated = try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=moderator", bearer: admin.access)
            #expect(moderated.json?["role"] as? String == "moderator")

            // A moderator may read users (scope users:read) but holds neither the admin role nor manage:roles.
            let moderator = try await api.tokens("bob")
            #expect(try await api.json(.GET, "/api/v1/admin/users", bearer: moderator.access).status == 403)
            let noPermission = try await api.json(.PUT, "/api/v1/admin/users/\(alice)/role?new_role=user", bearer: moderator.access)
            #expect(noPermission.status == 403)
            #expect(noPermission.detail == "Missing permissions: manage:roles")

            let carolSession = try await api.tokens("carol")
            #expect(try await api.json(.DELETE, "/api/v1/users/me", ["current_password": "StrongPass123"], bearer: carolSession.access).status == 200)
            let dashboard = try await api.json(.GET, "/api/v1/admin/dashboard", bearer: admin.access)
            #expect(dashboard.status == 200, "\(dashboard.body)")
            #expect(dashboard.json?["total_users"] as? Int == 4)
            #expect(dashboard.json?["active_users"] as? Int == 3)
            #expect(dashboard.json?["inactive_users"] as? Int == 1)
            let byRole = try #require(dashboard.json?["users_by_role"] as? [String: Int])
            #expect(byRole == ["user": 1, "moderator": 1, "admin": 1, "super_admin": 1])
            _ = await stack.stop()
        }

        @Test func securityEventsAreAuditedWithoutSecrets() async throws {
            let database = try await TestDatabase()
            defer { Task { await database.drop() } }
            let stack = try await Self.stack(database)
            let api = APIClient(base: stack.baseURL)
            let root = try await Self.eventually { try await api.tokens("root", password: "Adm1nSecretPw") }
            let dave = try await api.register("dave")
            try await api.register("eve")
            for _ in 1...5 { #expect(try await api.token("eve", password: "WrongPass999").status == 401) }

            #expect(try await api.token("dave", password: "WrongPass999").status == 401)
            let session = try await api.tokens("dave")
            let rotated = try #require(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh]).json)
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh]).status == 401)
            let again = try await api.tokens("dave")
            #expect(try await api.json(.POST, "/api/v1/auth/logout", ["refresh_token": again.refresh], bearer: again.access).status == 200)
            let third = try await api.tokens("dave")
            let key = try #require(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: third.access).json?["api_key"]
                    as? String
            )
            #expect(try await api.json(.DELETE, "/api/v1/api-keys/revoke", apiKey: key).status == 200)
            #expect(
                try await api.json(
                    .POST,
                    "/api/v1/auth/change-password",
                    ["current_password": "StrongPass123", "new_password": "NewStrong456"],
                    bearer: third.access
                )
                .status == 200
            )
            #expect(try await api.json(.PUT, "/api/v1/admin/users/\(dave)/role?new_role=moderator", bearer: root.access).status == 200)
            let last = try await api.tokens("dave", password: "NewStrong456")
            #expect(try await api.json(.DELETE, "/api/v1/users/me", ["current_password": "NewStrong456"], bearer: last.access).status == 200)

            let expected: Set<String> = [
                "login_success", "login_failure", "token_refresh", "token_reuse_detected", "logout", "api_key_generated", "api_key_revoked",
                "password_changed", "role_changed", "account_deactivated", "account_locked",
            ]
            let statement = PreparedStatement(
                name: "audit_rows",
                sql:
                    "SELECT event, coalesce(user_id::text, ''), coalesce(username, ''), ip, user_agent, request_id, detail::text FROM audit_events ORDER BY id"
            )
            var rows: [[String?]] = []
            for _ in 0..<50 {
                rows = try await database.pool.withConnection { try $0.query(statement).rows }
                if expected.isSubset(of: Set(rows.compactMap { $0[0] })) { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let events = Set(rows.compactMap { $0[0] })
            #expect(expected.isSubset(of: events), "missing: \(expected.subtracting(events))")
            let daveRows = rows.filter { $0[1] == String(dave) }
            #expect(Set(daveRows.compactMap { $0[0] }) == expected.subtracting(["account_locked"]), "each of dave's events is his")
            #expect(rows.contains { $0[0] == "account_locked" && $0[2] == "eve" })
            #expect(daveRows.allSatisfy { ($0[3] ?? "").contains("127.0.0.1") && !($0[5] ?? "").isEmpty }, "ip and request id are kept")
            let secrets =
                ["StrongPass123", "NewStrong456", "WrongPass999", "Adm1nSecretPw", session.refresh, session.access, key, "$argon2id$"]
                + [rotated["refresh_token"] as? String ?? "-", again.refresh, third.access]
            for row in rows {
                let text = row.compactMap { $0 }.joined(separator: " ")
                for secret in secrets {
                    #expect(!text.contains(secret), "an audit row holds a secret: \(row[0] ?? "")")
                }
            }
            _ = await stack.stop()
        }

        /// The bootstrap admin is created as identity starts: retry the first login briefly.
        static func eventually<T>(_ body: () async throws -> T) async throws -> T {
            for _ in 0..<40 {
                if let value = try? await body() { return value }
                try await Task.sleep(for: .milliseconds(100))
            }
            return try await body()
        }
    }
}
