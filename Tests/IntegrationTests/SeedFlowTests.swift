import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// A client of the seed-000 service: a cookie jar that keeps `refresh_token`.
final class CookieClient: @unchecked Sendable {
    let base: String
    var refreshCookie: String?

    init(base: String) { self.base = base }

    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: String? = nil) async throws -> HTTP.Reply {
        var headers = headers
        if let refreshCookie { headers.append(("Cookie", "refresh_token=\(refreshCookie)")) }
        let reply = try await HTTP.send(method, self.base + path, headers: headers, body: body)
        for header in reply.headers[canonicalForm: "set-cookie"] where header.hasPrefix("refresh_token=") {
            let value = header.dropFirst("refresh_token=".count).prefix { $0 != ";" }
            self.refreshCookie = (value.isEmpty || value == "\"\"" || header.contains("Max-Age=0")) ? nil : String(value)
        }
        return reply
    }
}

@Suite("Seed 000 through the real stack", .serialized)
struct SeedFlowTests {
    static func register(_ client: CookieClient, _ name: String, password: String = "StrongPass123") async throws -> HTTP.Reply {
        try await client.send(
            .POST,
            "/api/v1/register",
            headers: [("Content-Type", "application/json")],
            body: #"{"username":"\#(name)","email":"\#(name)@example.com","password":"\#(password)"}"#
        )
    }

    static func login(_ client: CookieClient, _ name: String, password: String = "StrongPass123") async throws -> HTTP.Reply {
        try await client.send(
            .POST,
            "/api/v1/login",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "username=\(name)&password=\(password)"
        )
    }

    static func unique(_ prefix: String) -> String { "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())" }

    @Test func theREADMEFlowWithACookieJar() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = Self.unique("john")

        let registered = try await Self.register(client, name)
        #expect(registered.status == 201, "\(registered.body)")
        #expect(registered.json?["username"] as? String == name)
        #expect(registered.json?["role"] as? String == "user")
        #expect(registered.json?["is_active"] as? Bool == true)
        #expect(registered.json?["id"] as? Int != nil)
        #expect(!registered.body.contains("password") && !registered.body.contains("argon2"))

        let login = try await Self.login(client, name)
        #expect(login.status == 200)
        #expect(login.json?["token_type"] as? String == "bearer")
        #expect(login.json?["expires_in"] as? Int == 900)
        let cookie = try #require(login.headers[canonicalForm: "set-cookie"].first)
        #expect(
            cookie.contains("HttpOnly") && cookie.contains("Path=/api/v1") && cookie.lowercased().contains("samesite=lax")
                && cookie.contains("Max-Age=2592000")
        )
        #expect(!login.body.contains("refresh_token"), "the browser flow keeps the refresh token out of the body")
        let access = try #require(login.json?["access_token"] as? String)

        let me = try await client.send(.GET, "/api/v1/about_me", headers: [("Authorization", "Bearer \(access)")])
        #expect(me.status == 200)
        #expect(me.json?["username"] as? String == name)

        let spent = client.refreshCookie
        let refreshed = try await client.send(.POST, "/api/v1/refresh")
        #expect(refreshed.status == 200)
        #expect(client.refreshCookie != spent, "a new refresh token each time")
        let newAccess = try #require(refreshed.json?["access_token"] as? String)

        let logout = try await client.send(.POST, "/api/v1/logout", headers: [("Authorization", "Bearer \(newAccess)")])
        #expect(logout.status == 200)
        #expect(client.refreshCookie == nil, "the cookie is cleared")

        client.refreshCookie = nil
        let afterLogout = try await client.send(.POST, "/api/v1/refresh")
        #expect(afterLogout.status == 401)
        let deniedAccess = try await client.send(.GET, "/api/v1/about_me", headers: [("Authorization", "Bearer \(newAccess)")])
        #expect(deniedAccess.status == 401, "the logged-out access token stops working")
        _ = await stack.stop()
    }

    @Test func seed001NamesReachTheSameOperations() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let name = Self.unique("alias")
        let registered = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/users/register",
            headers: [("Content-Type", "application/json")],
            body: #"{"username":"\#(name)","email":"\#(name)@example.com","password":"StrongPass123"}"#
        )
        #expect(registered.status == 201)
        let token = try #require(try await Self.login(CookieClient(base: stack.baseURL), name).json?["access_token"] as? String)
        let me = try await HTTP.get(stack.baseURL + "/api/v1/users/me", headers: [("Authorization", "Bearer \(token)")])
        #expect(me.status == 200)
        #expect(me.json?["username"] as? String == name)
        #expect(try await HTTP.get(stack.baseURL + "/health").status == 200)
        _ = await stack.stop()
    }

    @Test func errorCasesAnswerWithTheRightStatusAndDetail() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = Self.unique("err")
        #expect(try await Self.register(client, name).status == 201)

        let duplicate = try await Self.register(client, name)
        #expect(duplicate.status == 409)
        #expect(duplicate.json?["detail"] as? String != nil)

        for (body, label) in [
            (#"{"username":"x","email":"x@example.com","password":"StrongPass123"}"#, "short username"),
            (#"{"username":"goodname","email":"not-an-email","password":"StrongPass123"}"#, "bad email"),
            (#"{"username":"goodname","email":"g@example.com","password":"weakpassword"}"#, "weak password"),
            (#"{"username":123,"email":"g@example.com","password":"StrongPass123"}"#, "number for a string"),
            (#"{"username":"goodname","email":"g@example.com"}"#, "missing password"),
            (#"["not","an","object"]"#, "array body"),
            (#"{"username": "#, "truncated JSON"),
        ] {
            let reply = try await client.send(.POST, "/api/v1/register", headers: [("Content-Type", "application/json")], body: body)
            #expect(reply.status == 422, "\(label): \(reply.body)")
            #expect(reply.json?["detail"] != nil, "\(label)")
            #expect(!reply.body.contains("weakpassword"), "a password is never echoed")
        }

        let wrong = try await Self.login(client, name, password: "WrongPass123")
        #expect(wrong.status == 401)
        #expect(wrong.json?["detail"] as? String == "Incorrect username or password")
        #expect(wrong.headers.first(name: "www-authenticate") == "Bearer")
        let unknown = try await Self.login(client, "nobody_here")
        #expect(unknown.status == 401)
        #expect(unknown.body == wrong.body, "unknown user and wrong password look the same")

        let json = try await client.send(
            .POST,
            "/api/v1/login",
            headers: [("Content-Type", "application/json")],
            body: #"{"username":"\#(name)@example.com","password":"StrongPass123"}"#
        )
        #expect(json.status == 200, "JSON login by email: \(json.body)")

        let noToken = try await client.send(.GET, "/api/v1/about_me")
        #expect(noToken.status == 401)
        #expect(noToken.headers.first(name: "www-authenticate") == "Bearer")
        let garbage = try await client.send(.GET, "/api/v1/about_me", headers: [("Authorization", "Bearer not.a.token")])
        #expect(garbage.status == 401)
        #expect(garbage.headers.first(name: "www-authenticate") == #"Bearer error="invalid_token""#)
        let huge = try await client.send(.GET, "/api/v1/about_me", headers: [("Authorization", "Bearer " + String(repeating: "a", count: 10_000))])
        #expect(huge.status == 401)

        client.refreshCookie = nil
        let missing = try await client.send(.POST, "/api/v1/refresh")
        #expect(missing.status == 401)
        client.refreshCookie = "1.garbage.garbage"
        let forged = try await client.send(.POST, "/api/v1/refresh")
        #expect(forged.status == 401)

        // Reuse of a spent refresh token: 401 saying so, and the family is gone.
        client.refreshCookie = nil
        #expect(try await Self.login(client, name).status == 200)
        let spent = try #require(client.refreshCookie)
        #expect(try await client.send(.POST, "/api/v1/refresh").status == 200)
        let current = client.refreshCookie
        client.refreshCookie = spent
        let reuse = try await client.send(.POST, "/api/v1/refresh")
        #expect(reuse.status == 401)
        #expect((reuse.json?["detail"] as? String ?? "").contains("reuse"))
        client.refreshCookie = current
        #expect(try await client.send(.POST, "/api/v1/refresh").status == 401, "the thief's and the owner's tokens both die")
        _ = await stack.stop()
    }

    @Test func twoHundredConcurrentRefreshesOverBothTokenInstancesSucceedOnce() async throws {
        let stack = try await Stack(tokenInstances: 2, overrides: ["LOG_LEVEL": "debug"])
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = Self.unique("race")
        #expect(try await Self.register(client, name).status == 201)
        #expect(try await Self.login(client, name).status == 200)
        let token = try #require(client.refreshCookie)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await HTTP.send(.POST, stack.baseURL + "/api/v1/refresh", headers: [("Cookie", "refresh_token=\(token)")]).status
                }
            }
            var statuses: [Int] = []
            for try await status in group { statuses.append(status) }
            return statuses
        }
        #expect(statuses.filter { $0 == 200 }.count == 1)
        #expect(statuses.filter { $0 == 401 }.count == 199)
        let rotationsPerInstance = stack.tokens.map { token in
            token.log.split(separator: "\n").filter { line in
                line.contains("operation=refreshTokens") && (line.contains("msg=handled") || line.contains("msg=refused"))
            }.count
        }
        #expect(rotationsPerInstance.allSatisfy { $0 > 0 }, "both instances took part: \(rotationsPerInstance)")
        #expect(rotationsPerInstance.reduce(0, +) == 200)
        _ = await stack.stop()
    }
}
