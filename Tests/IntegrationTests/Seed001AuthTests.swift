import Foundation
import NIOHTTP1
import Testing

/// Seed 001's token routes through the real stack: the OAuth2 token endpoint, refresh, logout,
/// change of password.
extension Seed001Tests {
    @Suite("tokens")
    struct AuthTests {
        static func unique(_ prefix: String) -> String { SeedFlowTests.unique(prefix) }

        @Test func tokenEndpointGrantsTheScopesTheRoleAllows() async throws {
            let stack = try await Stack(tokenInstances: 1)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("oauth")
            try await api.register(name)

            let all = try await api.token(name)
            #expect(all.status == 200, "\(all.body)")
            #expect(all.json?["token_type"] as? String == "bearer")
            #expect(all.json?["expires_in"] as? Int == 900)
            #expect(all.json?["scope"] as? String == "profile:read profile:write posts:read posts:write")
            #expect((all.json?["refresh_token"] as? String)?.isEmpty == false)
            #expect(all.headers["Cache-Control"].first == "no-store")

            let asked = try await api.token(name, scope: "posts:read admin unknown:scope")
            #expect(asked.json?["scope"] as? String == "posts:read", "only what the role allows of what was asked")
            let limited = try #require(asked.json?["access_token"] as? String)
            let forbidden = try await api.me(bearer: limited)
            #expect(forbidden.status == 403)
            #expect(forbidden.headers["WWW-Authenticate"].first?.contains("insufficient_scope") == true)
            #expect(forbidden.detail.contains("profile:read"))

            let byEmail = try await api.token("\(name)@example.com")
            #expect(byEmail.status == 200, "login by email (seed 002)")

            let wrong = try await api.token(name, password: "WrongPass123")
            #expect(wrong.status == 401)
            #expect(wrong.headers["WWW-Authenticate"].first == "Bearer")

            let unsupported = try await api.form("/api/v1/auth/token", [("grant_type", "client_credentials"), ("username", name), ("password", "x")])
            #expect(unsupported.status == 400)
            #expect(unsupported.detail == "unsupported_grant_type")

            let missing = try await api.form("/api/v1/auth/token", [("username", name)])
            #expect(missing.status == 422)

            let refresh = try #require(all.json?["refresh_token"] as? String)
            let rotated = try await api.form("/api/v1/auth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(rotated.status == 200, "\(rotated.body)")
            #expect(rotated.json?["refresh_token"] as? String != refresh)
            #expect(rotated.json?["scope"] as? String == "profile:read profile:write posts:read posts:write", "the session keeps its scopes")
            let replayed = try await api.form("/api/v1/auth/token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])
            #expect(replayed.status == 401)
            #expect(replayed.detail.lowercased().contains("reuse"))
            _ = await stack.stop()
        }

        @Test func refreshRotatesAndReuseRevokesTheSession() async throws {
            let stack = try await Stack(tokenInstances: 2)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("rotate")
            try await api.register(name)
            let first = try await api.tokens(name)

            let second = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": first.refresh])
            #expect(second.status == 200, "\(second.body)")
            #expect(second.json?["access_token"] as? String != first.access)
            let next = try #require(second.json?["refresh_token"] as? String)
            #expect(next != first.refresh)

            let reuse = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": first.refresh])
            #expect(reuse.status == 401)
            #expect(reuse.detail.lowercased().contains("reuse"))
            let afterTheft = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": next])
            #expect(afterTheft.status == 401, "the whole session died with the reuse")

            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": "garbage"]).status == 401)
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", [:]).status == 422)
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": 42]).status == 422)
            _ = await stack.stop()
        }

        @Test func logoutRevokesTheSessionAndTheAccessToken() async throws {
            let stack = try await Stack(tokenInstances: 1)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("bye")
            let other = Self.unique("other")
            try await api.register(name)
            try await api.register(other)
            let session = try await api.tokens(name)
            let othersSession = try await api.tokens(other)

            #expect(try await api.json(.POST, "/api/v1/auth/logout", ["refresh_token": session.refresh]).status == 401, "needs the bearer token")
            let foreign = try await api.json(.POST, "/api/v1/auth/logout", ["refresh_token": othersSession.refresh], bearer: session.access)
            #expect(foreign.status == 400, "another user's refresh token is not the caller's to revoke")
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": othersSession.refresh]).status == 200)

            let logout = try await api.json(.POST, "/api/v1/auth/logout", ["refresh_token": session.refresh], bearer: session.access)
            #expect(logout.status == 200, "\(logout.body)")
            #expect(logout.detail == "Successfully logged out")
            #expect(try await api.me(bearer: session.access).status == 401, "the access token is denied")
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh]).status == 401)
            _ = await stack.stop()
        }

        @Test func changingThePasswordEndsEverySession() async throws {
            let stack = try await Stack(tokenInstances: 2)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("pw")
            try await api.register(name)
            let phone = try await api.tokens(name)
            let laptop = try await api.tokens(name)
            let path = "/api/v1/auth/change-password"

            let wrong = try await api.json(.POST, path, ["current_password": "WrongPass123", "new_password": "NewStrong456"], bearer: phone.access)
            #expect(wrong.status == 400)
            #expect(wrong.detail == "Current password is incorrect")
            let same = try await api.json(.POST, path, ["current_password": "StrongPass123", "new_password": "StrongPass123"], bearer: phone.access)
            #expect(same.status == 400)
            let weak = try await api.json(.POST, path, ["current_password": "StrongPass123", "new_password": "weak"], bearer: phone.access)
            #expect(weak.status == 422)
            #expect(weak.detail.contains("new_password") && !weak.body.contains("weak\""), "\(weak.body)")
            #expect(try await api.json(.POST, path, ["current_password": "StrongPass123", "new_password": "NewStrong456"]).status == 401)
            #expect(try await api.me(bearer: laptop.access).status == 200, "refusals changed nothing")
            let key = try #require(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: laptop.access).json?["api_key"]
                    as? String
            )
            #expect(try await api.me(apiKey: key).status == 200)

            let changed = try await api.json(
                .POST,
                path,
                ["current_password": "StrongPass123", "new_password": "NewStrong456"],
                bearer: phone.access
            )
            #expect(changed.status == 200, "\(changed.body)")
            for access in [phone.access, laptop.access] {
                #expect(try await api.me(bearer: access).status == 401, "access tokens issued before the change are dead")
            }
            for refresh in [phone.refresh, laptop.refresh] {
                #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": refresh]).status == 401, "every session ended")
            }
            #expect(try await api.me(apiKey: key).status == 401, "API keys made with the old password die too")
            #expect(try await api.token(name).status == 401, "the old password no longer works")
            let fresh = try await api.tokens(name, password: "NewStrong456")
            #expect(try await api.me(bearer: fresh.access).status == 200, "the new password works at once")
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": fresh.refresh]).status == 200)
            _ = await stack.stop()
        }

        @Test func loggingOutEverywhereEndsEverySessionTokenAndKey() async throws {
            let stack = try await Stack(tokenInstances: 1)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("everywhere")
            try await api.register(name)
            let phone = try await api.tokens(name)
            let laptop = try await api.tokens(name)
            let key = try #require(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: laptop.access).json?["api_key"]
                    as? String
            )
            #expect(try await api.json(.POST, "/api/v1/auth/logout-all").status == 401)

            let out = try await api.json(.POST, "/api/v1/auth/logout-all", bearer: phone.access)
            #expect(out.status == 200, "\(out.body)")
            for access in [phone.access, laptop.access] { #expect(try await api.me(bearer: access).status == 401) }
            for refresh in [phone.refresh, laptop.refresh] {
                #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": refresh]).status == 401)
            }
            #expect(try await api.me(apiKey: key).status == 401, "API keys end too")
            let fresh = try await api.tokens(name)
            #expect(try await api.me(bearer: fresh.access).status == 200, "the account stays; a new login works at once")
            _ = await stack.stop()
        }
    }
}
