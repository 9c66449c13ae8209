import Foundation
import NIOHTTP1
import Testing

/// Seed 001's profile and API-key routes through the real stack.
extension Seed001Tests {
    @Suite("profile and API keys")
    struct AccountTests {
        static func unique(_ prefix: String) -> String { SeedFlowTests.unique(prefix) }

        @Test func profileUpdateAndSoftDelete() async throws {
            let stack = try await Stack(tokenInstances: 1)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("prof")
            let taken = Self.unique("taken")
            try await api.register(name)
            try await api.register(taken)
            let session = try await api.tokens(name)

            let renamed = try await api.json(.PUT, "/api/v1/users/me", ["full_name": "Jane Q. Public"], bearer: session.access)
            #expect(renamed.status == 200, "\(renamed.body)")
            #expect(renamed.json?["full_name"] as? String == "Jane Q. Public")
            #expect(renamed.json?["email"] as? String == "\(name)@example.com", "absent fields stay")
            let unconfirmed = try await api.json(.PUT, "/api/v1/users/me", ["email": "new.\(name)@example.com"], bearer: session.access)
            #expect(unconfirmed.status == 422, "a new email needs the current password")
            #expect(unconfirmed.detail == "current_password: field required to change the email")
            let wrongPassword = try await api.json(
                .PUT,
                "/api/v1/users/me",
                ["email": "new.\(name)@example.com", "current_password": "WrongPass123"],
                bearer: session.access
            )
            #expect(wrongPassword.status == 400)
            #expect((try await api.me(bearer: session.access)).json?["email"] as? String == "\(name)@example.com", "refusals changed nothing")
            let moved = try await api.json(
                .PUT,
                "/api/v1/users/me",
                ["email": " New.\(name)@Example.COM ", "current_password": "StrongPass123"],
                bearer: session.access
            )
            #expect(moved.json?["email"] as? String == "new.\(name)@example.com", "normalised like registration")
            #expect(moved.json?["is_verified"] as? Bool == false)
            let sameAgain = try await api.json(.PUT, "/api/v1/users/me", ["email": "new.\(name)@example.com"], bearer: session.access)
            #expect(sameAgain.status == 200, "the address it already has needs no password")
            #expect(moved.json?["full_name"] as? String == "Jane Q. Public")
            let clash = try await api.json(
                .PUT,
                "/api/v1/users/me",
                ["email": "\(taken)@example.com", "current_password": "StrongPass123"],
                bearer: session.access
            )
            #expect(clash.status == 409)
            #expect(clash.detail == "Email already in use")
            #expect(
                try await api.json(.PUT, "/api/v1/users/me", ["email": "not-an-email", "current_password": "StrongPass123"], bearer: session.access)
                    .status == 422
            )
            #expect(
                try await api.json(.PUT, "/api/v1/users/me", ["full_name": String(repeating: "x", count: 101)], bearer: session.access).status == 422
            )
            #expect(try await api.json(.PUT, "/api/v1/users/me", ["full_name": "x"]).status == 401)
            #expect((try await api.me(bearer: session.access)).json?["email"] as? String == "new.\(name)@example.com")

            let key = try #require(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: session.access).json?["api_key"]
                    as? String
            )
            // A bare access token no longer deletes the account: the password is typed again.
            #expect(try await api.json(.DELETE, "/api/v1/users/me", bearer: session.access).status == 422)
            let bare = try await api.json(.DELETE, "/api/v1/users/me", [:], bearer: session.access)
            #expect(bare.status == 422 && bare.detail == "current_password: field required", "\(bare.body)")
            let wrong = try await api.json(.DELETE, "/api/v1/users/me", ["current_password": "WrongPass123"], bearer: session.access)
            #expect(wrong.status == 400 && wrong.detail == "Current password is incorrect", "\(wrong.body)")
            #expect(try await api.me(bearer: session.access).status == 200, "the account is still there")
            let deleted = try await api.json(.DELETE, "/api/v1/users/me", ["current_password": "StrongPass123"], bearer: session.access)
            #expect(deleted.status == 200, "\(deleted.body)")
            #expect(deleted.detail == "Account deactivated successfully")
            #expect(try await api.me(bearer: session.access).status == 401, "its tokens die")
            #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh]).status == 401)
            #expect(try await api.me(apiKey: key).status == 401, "its API keys die")
            #expect(try await api.token(name).status == 401, "it can no longer log in")
            let again = try await api.json(
                .POST,
                "/api/v1/users/register",
                ["username": name, "email": "x\(name)@example.com", "password": "StrongPass123"]
            )
            #expect(again.status == 409, "a deleted account keeps its name")
            _ = await stack.stop()
        }

        @Test func apiKeyLifecycle() async throws {
            let stack = try await Stack(tokenInstances: 1)
            try await stack.waitUntilReady()
            let api = APIClient(base: stack.baseURL)
            let name = Self.unique("keys")
            try await api.register(name)
            let session = try await api.tokens(name)

            #expect(try await api.json(.POST, "/api/v1/api-keys/generate").status == 401)
            // A bare access token no longer mints a key: the password is typed again.
            let bare = try await api.json(.POST, "/api/v1/api-keys/generate", ["name": "ci"], bearer: session.access)
            #expect(bare.status == 422 && bare.detail == "current_password: field required", "\(bare.body)")
            #expect(try await api.json(.POST, "/api/v1/api-keys/generate", bearer: session.access).status == 422)
            let wrong = try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "WrongPass123"], bearer: session.access)
            #expect(wrong.status == 400 && wrong.detail == "Current password is incorrect", "\(wrong.body)")
            let generated = try await api.json(
                .POST,
                "/api/v1/api-keys/generate",
                ["name": "ci", "current_password": "StrongPass123"],
                bearer: session.access
            )
            #expect(generated.status == 201, "\(generated.body)")
            let key = try #require(generated.json?["api_key"] as? String)
            #expect(key.hasPrefix("ak_") && key.count > 64)
            #expect(generated.json?["name"] as? String == "ci")
            #expect(generated.json?["scopes"] as? [String] == ["profile:read", "profile:write", "posts:read", "posts:write"])
            #expect(generated.json?["message"] as? String == "Store this key securely. It will not be shown again.")

            let me = try await api.me(apiKey: key)
            #expect(me.status == 200, "\(me.body)")
            #expect(me.json?["username"] as? String == name)
            #expect(try await api.json(.GET, "/api/v1/about_me", apiKey: key).status == 200)
            #expect(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], apiKey: key).status == 401,
                "a key cannot mint keys"
            )
            #expect(try await api.me(apiKey: "ak_0000000000000000_" + String(repeating: "0", count: 64)).status == 401)
            #expect(try await api.me(apiKey: "garbage").status == 401)
            #expect(try await api.me(apiKey: String(repeating: "k", count: 5000)).status == 401)

            let narrow = try await api.json(
                .POST,
                "/api/v1/api-keys/generate",
                ["scopes": ["posts:read"], "expires_in_days": 30, "current_password": "StrongPass123"],
                bearer: session.access
            )
            #expect(narrow.status == 201, "\(narrow.body)")
            #expect(narrow.json?["expires_at"] as? String != nil)
            let narrowKey = try #require(narrow.json?["api_key"] as? String)
            let refused = try await api.me(apiKey: narrowKey)
            #expect(refused.status == 403, "the key acts with at most its scopes")
            #expect(refused.headers["WWW-Authenticate"].first?.contains("insufficient_scope") == true)
            #expect(
                try await api.json(
                    .POST,
                    "/api/v1/api-keys/generate",
                    ["scopes": ["admin"], "current_password": "StrongPass123"],
                    bearer: session.access
                ).status == 403
            )
            #expect(
                try await api.json(
                    .POST,
                    "/api/v1/api-keys/generate",
                    ["expires_in_days": 0, "current_password": "StrongPass123"],
                    bearer: session.access
                ).status == 422
            )
            #expect(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["scopes": 7, "current_password": "StrongPass123"], bearer: session.access)
                    .status == 422
            )

            // A key never reaches further than the token that made it.
            let limited = try await api.tokens(name, scope: "profile:read profile:write")
            let beyondToken = try await api.json(
                .POST,
                "/api/v1/api-keys/generate",
                ["scopes": ["posts:write"], "current_password": "StrongPass123"],
                bearer: limited.access
            )
            #expect(beyondToken.status == 403, "posts:write is the role's, not the token's")
            let withinToken = try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: limited.access)
            #expect(withinToken.json?["scopes"] as? [String] == ["profile:read", "profile:write"])
            let limitedKey = try #require(withinToken.json?["api_key"] as? String)

            let revokeOne = try await api.json(.DELETE, "/api/v1/api-keys/revoke", apiKey: key)
            #expect(revokeOne.status == 200, "\(revokeOne.body)")
            #expect(try await api.me(apiKey: key).status == 401, "a revoked key is refused at once")
            #expect(try await api.json(.DELETE, "/api/v1/api-keys/revoke", apiKey: key).status == 401)

            let third = try #require(
                try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: session.access).json?["api_key"]
                    as? String
            )
            let revokeAll = try await api.json(.DELETE, "/api/v1/api-keys/revoke", bearer: session.access)
            #expect(revokeAll.status == 200)
            #expect(revokeAll.detail == "3 API keys revoked successfully")
            #expect(try await api.me(apiKey: third).status == 401)
            #expect(try await api.me(apiKey: limitedKey).status == 401)
            let none = try await api.json(.DELETE, "/api/v1/api-keys/revoke", bearer: session.access)
            #expect(none.status == 404)
            #expect(none.detail == "No API key to revoke")
            _ = await stack.stop()
        }
    }
}
