import Foundation
import NIOHTTP1
import Testing

@Suite("Where access tokens come from")
struct TokenLocationTests {
    /// The value of cookie `name` among a reply's `Set-Cookie` headers.
    static func cookie(_ name: String, in reply: HTTP.Reply) -> String? {
        for header in reply.headers[canonicalForm: "set-cookie"] where header.hasPrefix(name + "=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    @Test func cookiesCarryTheAccessTokenWithADoubleSubmitCSRFCheck() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["TOKEN_LOCATIONS": "headers,cookies,body"])
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("cookie")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        let login = try await SeedFlowTests.login(client, name)
        let access = try #require(Self.cookie("access_token", in: login))
        let csrf = try #require(Self.cookie("csrf_token", in: login))
        #expect(login.headers[canonicalForm: "set-cookie"].contains { $0.hasPrefix("access_token=") && $0.contains("HttpOnly") })
        #expect(login.headers[canonicalForm: "set-cookie"].contains { $0.hasPrefix("csrf_token=") && !$0.contains("HttpOnly") })

        let me = try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Cookie", "access_token=\(access)")])
        #expect(me.status == 200, "a read needs no CSRF header")

        let cookies = "access_token=\(access); csrf_token=\(csrf)"
        let forged = try await HTTP.send(.POST, stack.baseURL + "/api/v1/logout", headers: [("Cookie", cookies)])
        #expect(forged.status == 403, "a state-changing request with a cookie token needs the CSRF header")
        let wrong = try await HTTP.send(.POST, stack.baseURL + "/api/v1/logout", headers: [("Cookie", cookies), ("X-CSRF-Token", "not-it")])
        #expect(wrong.status == 403)
        #expect(try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Cookie", "access_token=\(access)")]).status == 200)

        let real = try await HTTP.send(.POST, stack.baseURL + "/api/v1/logout", headers: [("Cookie", cookies), ("X-CSRF-Token", csrf)])
        #expect(real.status == 200)
        #expect(Self.cookie("access_token", in: real) == "", "the access cookie is cleared")
        #expect(real.headers[canonicalForm: "set-cookie"].contains { $0.hasPrefix("access_token=;") && $0.contains("Max-Age=0") })
        #expect(try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Cookie", "access_token=\(access)")]).status == 401)

        // A token in a JSON body (logout).
        let second = try await SeedFlowTests.login(client, name)
        let bodyToken = try #require(second.json?["access_token"] as? String)
        _ = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/logout",
            headers: [("Content-Type", "application/json")],
            body: #"{"access_token":"\#(bodyToken)"}"#
        )
        #expect(try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Authorization", "Bearer \(bodyToken)")]).status == 401)
        _ = await stack.stop()
    }

    @Test func theCSRFTokenIsBoundToTheSession() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["TOKEN_LOCATIONS": "headers,cookies"])
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("bound")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        let login = try await SeedFlowTests.login(client, name)
        let access = try #require(Self.cookie("access_token", in: login))
        let csrf = try #require(Self.cookie("csrf_token", in: login))

        func update(cookies: String, header: String) async throws -> Int {
            try await HTTP.send(
                .PUT,
                stack.baseURL + "/api/v1/users/me",
                headers: [("Cookie", cookies), ("X-CSRF-Token", header), ("Content-Type", "application/json")],
                body: #"{"full_name":"Bound"}"#
            ).status
        }
        #expect(try await update(cookies: "access_token=\(access); csrf_token=\(csrf)", header: csrf) == 200)
        // A value planted in the browser's cookies (a sibling subdomain can set them) matches
        // itself, but not the session: refused.
        #expect(try await update(cookies: "access_token=\(access); csrf_token=planted", header: "planted") == 403)
        #expect(try await update(cookies: "access_token=\(access)", header: csrf) == 200, "the header alone, checked against the session")

        // The session keeps its CSRF token through refreshes; another session has its own.
        let refreshed = try await client.send(.POST, "/api/v1/refresh")
        #expect(Self.cookie("csrf_token", in: refreshed) == csrf)
        let other = try await SeedFlowTests.login(CookieClient(base: stack.baseURL), name)
        #expect(Self.cookie("csrf_token", in: other) != csrf)
        #expect(try await update(cookies: "access_token=\(access)", header: try #require(Self.cookie("csrf_token", in: other))) == 403)
        _ = await stack.stop()
    }

    @Test func byDefaultOnlyTheHeaderCounts() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("hdr")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        let login = try await SeedFlowTests.login(client, name)
        #expect(Self.cookie("access_token", in: login) == nil, "no access cookie unless configured")
        let token = try #require(login.json?["access_token"] as? String)
        #expect(try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Cookie", "access_token=\(token)")]).status == 401)
        _ = await stack.stop()
    }
}
