import Foundation
import NIOHTTP1
import Testing

/// A client of seed 003's router as the library's users call it: JSON bodies, and a cookie jar
/// that keeps what the answers set (by name; paths are checked by the tests that care).
final class AuthKitClient: @unchecked Sendable {
    let base: String
    let prefix: String
    var cookies: [String: String] = [:]

    init(base: String, prefix: String = "/auth") {
        self.base = base
        self.prefix = prefix
    }

    func send(
        _ method: HTTPMethod,
        _ path: String,
        json: String? = nil,
        headers: [(String, String)] = [],
        sendCookies: Bool = true
    ) async throws -> HTTP.Reply {
        var headers = headers
        if json != nil { headers.append(("Content-Type", "application/json")) }
        if sendCookies, !self.cookies.isEmpty {
            headers.append(("Cookie", self.cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")))
        }
        let reply = try await HTTP.send(method, self.base + self.prefix + path, headers: headers, body: json)
        for header in reply.headers[canonicalForm: "set-cookie"] {
            guard let equals = header.firstIndex(of: "=") else { continue }
            let name = String(header[..<equals])
            let value = String(header[header.index(after: equals)...].prefix { $0 != ";" })
            if value.isEmpty || value == "\"\"" || header.contains("Max-Age=0") { self.cookies[name] = nil } else { self.cookies[name] = value }
        }
        return reply
    }

    func register(_ name: String, password: String = "StrongPass123!") async throws -> HTTP.Reply {
        try await self.send(.POST, "/register", json: #"{"email":"\#(name)@example.com","username":"\#(name)","password":"\#(password)"}"#)
    }

    func login(_ login: String, password: String = "StrongPass123!") async throws -> HTTP.Reply {
        try await self.send(.POST, "/login", json: #"{"username_or_email":"\#(login)","password":"\#(password)"}"#)
    }

    /// The `Set-Cookie` header a reply gave for cookie `name`.
    static func setCookie(_ name: String, in reply: HTTP.Reply) -> String? {
        reply.headers[canonicalForm: "set-cookie"].first { $0.hasPrefix(name + "=") }.map(String.init)
    }
}

/// The claims of a JWT, read without checking it (the tests look at what was issued).
func jwtClaims(_ token: String) -> [String: Any]? {
    let parts = token.split(separator: ".")
    guard parts.count == 3 else { return nil }
    var text = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    guard let data = Data(base64Encoded: text) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

/// Seed 003's `/auth` router through the real processes, as the library's clients use it.
@Suite("Seed 003's /auth router through the real stack", .serialized)
struct Seed003RouterTests {
    static let password = "StrongPass123!"

    @Test func registerAnswersAsTheLibraryDoes() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")

        let registered = try await client.register(name)
        #expect(registered.status == 200, "\(registered.body)")
        let user = try #require(registered.json)
        #expect(Set(user.keys) == ["id", "email", "username", "is_staff", "is_active"])
        #expect(user["username"] as? String == name)
        #expect(user["email"] as? String == "\(name)@example.com")
        #expect(user["is_staff"] as? Bool == false)
        #expect(user["is_active"] as? Bool == true)
        #expect((user["id"] as? Int ?? 0) > 0)

        let again = try await client.register(name)
        #expect(again.status == 400)
        #expect(again.detail == "User with this email or username already exists")
        let sameEmail = try await client.send(
            .POST,
            "/register",
            json: #"{"email":"\#(name)@example.com","username":"\#(SeedFlowTests.unique("other"))","password":"\#(Self.password)"}"#
        )
        #expect(sameEmail.status == 400)
        #expect(sameEmail.detail == "User with this email or username already exists")

        #expect(try await client.register(SeedFlowTests.unique("weak"), password: "short").status == 422, "the password policy applies")
        let badEmail = try await client.send(
            .POST,
            "/register",
            json: #"{"email":"not-an-email","username":"\#(SeedFlowTests.unique("e"))","password":"\#(Self.password)"}"#
        )
        #expect(badEmail.status == 422)
        let missing = try await client.send(.POST, "/register", json: #"{"email":"\#(name)x@example.com","password":"\#(Self.password)"}"#)
        #expect(missing.status == 422)
        #expect(missing.detail == "username: field required")
        #expect(try await client.send(.POST, "/register", json: "[1]").status == 422)
        _ = await stack.stop()
    }

    @Test func loginSetsBothCookiesAndMeReadsBearerOrCookie() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)

        let byEmail = try await client.login("\(name)@example.com")
        #expect(byEmail.status == 200, "\(byEmail.body)")
        let login = try await client.login(name)
        #expect(login.status == 200)
        let body = try #require(login.json)
        #expect(Set(body.keys) == ["access_token", "refresh_token"])
        let access = try #require(body["access_token"] as? String)
        let refresh = try #require(body["refresh_token"] as? String)
        #expect(login.headers.first(name: "cache-control") == "no-store")

        let accessCookie = try #require(AuthKitClient.setCookie("access_token", in: login))
        #expect(accessCookie.hasPrefix("access_token=\(access);"))
        #expect(
            accessCookie.contains("HttpOnly") && accessCookie.contains("Max-Age=900")
                && accessCookie.split(separator: ";").contains { $0.trimmingCharacters(in: .whitespaces) == "Path=/" }
        )
        let refreshCookie = try #require(AuthKitClient.setCookie("refresh_token", in: login))
        #expect(refreshCookie.hasPrefix("refresh_token=\(refresh);"))
        #expect(refreshCookie.contains("HttpOnly") && refreshCookie.contains("Max-Age=2592000") && refreshCookie.contains("Path=/auth"))
        #expect(AuthKitClient.setCookie("csrf_token", in: login) == nil, "no CSRF cookie where access cookies authenticate nothing else")

        let wrong = try await client.login(name, password: "WrongPass123!")
        #expect(wrong.status == 401)
        #expect(wrong.detail == "Invalid credentials")
        let unknown = try await client.login(SeedFlowTests.unique("nobody"))
        #expect(unknown.status == 401)
        #expect(unknown.detail == "Invalid credentials")
        #expect(try await client.send(.POST, "/login", json: #"{"username_or_email":"\#(name)"}"#).status == 422)

        let byBearer = try await client.send(.GET, "/me", headers: [("Authorization", "Bearer \(access)")], sendCookies: false)
        #expect(byBearer.status == 200, "\(byBearer.body)")
        let me = try #require(byBearer.json)
        #expect(Set(me.keys) == ["id", "email", "username", "is_staff", "is_superuser"])
        #expect(me["username"] as? String == name)
        #expect(me["is_staff"] as? Bool == false)
        #expect(me["is_superuser"] as? Bool == false)
        let byCookie = try await client.send(.GET, "/me")
        #expect(byCookie.status == 200)
        #expect(byCookie.headers.first(name: "cache-control") == "no-store")
        #expect(byCookie.json?["username"] as? String == name)

        let nothing = try await client.send(.GET, "/me", sendCookies: false)
        #expect(nothing.status == 401)
        #expect(nothing.detail == "Not authenticated")
        #expect(nothing.headers.first(name: "www-authenticate") == "Bearer")
        #expect(nothing.headers.first(name: "cache-control") == "no-store")
        let forged = try await client.send(.GET, "/me", headers: [("Cookie", "access_token=\(access)x")], sendCookies: false)
        #expect(forged.status == 401)
        #expect(
            try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Cookie", "access_token=\(access)")]).status == 401,
            "elsewhere TOKEN_LOCATIONS (headers) still decides"
        )
        _ = await stack.stop()
    }

    @Test func refreshTakesTheTokenFromHeaderCookieOrBody() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)
        let login = try #require(try await client.login(name).json)
        var refresh = try #require(login["refresh_token"] as? String)
        let firstAccess = try #require(login["access_token"] as? String)

        // 1. Authorization header.
        let byHeader = try await client.send(.POST, "/refresh", headers: [("Authorization", "Bearer \(refresh)")], sendCookies: false)
        #expect(byHeader.status == 200, "\(byHeader.body)")
        #expect(Set(byHeader.json?.keys ?? [:].keys) == ["access_token", "refresh_token"])
        #expect(AuthKitClient.setCookie("refresh_token", in: byHeader) != nil, "cookies are renewed (SET_COOKIE_ON_LOGIN)")
        let spent = refresh
        refresh = try #require(byHeader.json?["refresh_token"] as? String)
        #expect(refresh != spent)
        #expect(byHeader.json?["access_token"] as? String != firstAccess)

        // 2. The cookie (the jar holds what the header refresh set).
        #expect(client.cookies["refresh_token"] == refresh)
        let byCookie = try await client.send(.POST, "/refresh")
        #expect(byCookie.status == 200, "\(byCookie.body)")
        refresh = try #require(byCookie.json?["refresh_token"] as? String)
        #expect(client.cookies["refresh_token"] == refresh, "the cookie holds the new token")

        // 3. The body, also with curl's form type as the library's README sends it.
        let byBody = try await client.send(.POST, "/refresh", json: #"{"refresh_token":"\#(refresh)"}"#, sendCookies: false)
        #expect(byBody.status == 200, "\(byBody.body)")
        refresh = try #require(byBody.json?["refresh_token"] as? String)
        let formTyped = try await HTTP.send(
            .POST,
            stack.baseURL + "/auth/refresh",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: #"{"refresh_token": "\#(refresh)"}"#
        )
        #expect(formTyped.status == 200, "\(formTyped.body)")
        refresh = try #require(formTyped.json?["refresh_token"] as? String)

        // An access token sent as bearer out of habit is passed over for the body's refresh token.
        let access = try #require(formTyped.json?["access_token"] as? String)
        let habit = try await client.send(
            .POST,
            "/refresh",
            json: #"{"refresh_token":"\#(refresh)"}"#,
            headers: [("Authorization", "Bearer \(access)")],
            sendCookies: false
        )
        #expect(habit.status == 200, "\(habit.body)")
        refresh = try #require(habit.json?["refresh_token"] as? String)

        let none = try await client.send(.POST, "/refresh", sendCookies: false)
        #expect(none.status == 401)
        #expect(none.detail == "Refresh token not found. Provide it in Authorization header, cookie, or request body.")
        let garbage = try await client.send(.POST, "/refresh", headers: [("Authorization", "Bearer garbage")], sendCookies: false)
        #expect(garbage.status == 401)
        #expect(try await client.send(.POST, "/refresh", json: #"{"refresh_token":5}"#, sendCookies: false).status == 422)

        // One-time use everywhere: a spent token is theft, and the whole session dies.
        let replay = try await client.send(.POST, "/refresh", headers: [("Authorization", "Bearer \(spent)")], sendCookies: false)
        #expect(replay.status == 401)
        #expect(replay.detail.lowercased().contains("reuse"))
        let afterTheft = try await client.send(.POST, "/refresh", json: #"{"refresh_token":"\#(refresh)"}"#, sendCookies: false)
        #expect(afterTheft.status == 401, "the family was revoked")

        // A dead cookie is cleared.
        let dead = try await client.send(.POST, "/refresh")
        #expect(dead.status == 401)
        #expect(AuthKitClient.setCookie("refresh_token", in: dead)?.contains("Max-Age=0") == true)
        _ = await stack.stop()
    }

    @Test func logoutEndsTheSessionAndClearsBothCookies() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["TOKEN_LOCATIONS": "headers,cookies"])
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)
        let login = try await client.login(name)
        let access = try #require(login.json?["access_token"] as? String)
        let refresh = try #require(login.json?["refresh_token"] as? String)
        #expect(AuthKitClient.setCookie("csrf_token", in: login) != nil, "access cookies authenticate other routes here: a CSRF cookie comes along")

        // No CSRF header: a cross-site request can only end the caller's own session.
        let logout = try await client.send(.POST, "/logout")
        #expect(logout.status == 200, "\(logout.body)")
        #expect(logout.json?["logout"] as? String == "success")
        #expect(logout.json?["ok"] as? Bool == true)
        #expect(AuthKitClient.setCookie("access_token", in: logout)?.contains("Max-Age=0") == true)
        let cleared = try #require(AuthKitClient.setCookie("refresh_token", in: logout))
        #expect(cleared.contains("Max-Age=0") && cleared.contains("Path=/auth"))
        #expect(client.cookies["access_token"] == nil && client.cookies["refresh_token"] == nil)

        let refreshAfter = try await client.send(.POST, "/refresh", json: #"{"refresh_token":"\#(refresh)"}"#, sendCookies: false)
        #expect(refreshAfter.status == 401, "the session is revoked")
        let meAfter = try await client.send(.GET, "/me", headers: [("Authorization", "Bearer \(access)")], sendCookies: false)
        #expect(meAfter.status == 401, "the access token is denied until it expires")

        // Bearer only: an access token is denied, a refresh token's session ends.
        let second = try #require(try await client.login(name).json)
        let bearerLogout = try await client.send(
            .POST,
            "/logout",
            headers: [("Authorization", "Bearer \(second["access_token"] as? String ?? "")")],
            sendCookies: false
        )
        #expect(bearerLogout.status == 200)
        #expect(
            try await client.send(.GET, "/me", headers: [("Authorization", "Bearer \(second["access_token"] as? String ?? "")")], sendCookies: false)
                .status == 401
        )
        let third = try #require(try await client.login(name).json)
        let refreshLogout = try await client.send(
            .POST,
            "/logout",
            headers: [("Authorization", "Bearer \(third["refresh_token"] as? String ?? "")")],
            sendCookies: false
        )
        #expect(refreshLogout.status == 200)
        let thirdRefresh = try await client.send(
            .POST,
            "/refresh",
            json: #"{"refresh_token":"\#(third["refresh_token"] as? String ?? "")"}"#,
            sendCookies: false
        )
        #expect(thirdRefresh.status == 401)

        // Nothing to end: still 200, cookies cleared.
        let empty = try await client.send(.POST, "/logout", sendCookies: false)
        #expect(empty.status == 200)
        _ = await stack.stop()
    }

    @Test func sessionsAreSharedWithTheOtherRoutes() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)
        let api = APIClient(base: stack.baseURL)

        // Started on /auth/login, refreshed on seed 000's cookie route and seed 001's body route.
        let refresh = try #require(try await client.login(name).json?["refresh_token"] as? String)
        let onSeed000 = try await HTTP.send(.POST, stack.baseURL + "/api/v1/refresh", headers: [("Cookie", "refresh_token=\(refresh)")])
        #expect(onSeed000.status == 200, "\(onSeed000.body)")
        let next = try #require(TokenLocationTests.cookie("refresh_token", in: onSeed000))
        let onSeed001 = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": next])
        #expect(onSeed001.status == 200, "\(onSeed001.body)")
        let fromSeed001 = try #require(onSeed001.json?["refresh_token"] as? String)

        // And the other way round: a token from seed 001's routes refreshes here.
        let back = try await client.send(.POST, "/refresh", headers: [("Authorization", "Bearer \(fromSeed001)")], sendCookies: false)
        #expect(back.status == 200, "\(back.body)")
        let seed000 = CookieClient(base: stack.baseURL)
        #expect(try await SeedFlowTests.login(seed000, name, password: "StrongPass123!").status == 200)
        let cookieToken = try #require(seed000.refreshCookie)
        #expect(try await client.send(.POST, "/refresh", headers: [("Cookie", "refresh_token=\(cookieToken)")], sendCookies: false).status == 200)

        // Seed 001's refresh route takes the header and cookie forms too; a cookie is renewed.
        let tokens = try await api.tokens(name, password: "StrongPass123!")
        let byHeader = try await HTTP.send(.POST, stack.baseURL + "/api/v1/auth/refresh", headers: [("Authorization", "Bearer \(tokens.refresh)")])
        #expect(byHeader.status == 200, "\(byHeader.body)")
        let headerNext = try #require(byHeader.json?["refresh_token"] as? String)
        let byCookie = try await HTTP.send(.POST, stack.baseURL + "/api/v1/auth/refresh", headers: [("Cookie", "refresh_token=\(headerNext)")])
        #expect(byCookie.status == 200, "\(byCookie.body)")
        #expect(TokenLocationTests.cookie("refresh_token", in: byCookie) == byCookie.json?["refresh_token"] as? String)
        #expect(try await HTTP.send(.POST, stack.baseURL + "/api/v1/auth/refresh").status == 422)
        _ = await stack.stop()
    }

    @Test func settingsMoveTheRouterAndShapeTheCookies() async throws {
        let stack = try await Stack(
            tokenInstances: 1,
            overrides: [
                "AUTH_ROUTER_PREFIX": "/identity/v2",
                "ACCESS_COOKIE_NAME": "at",
                "REFRESH_COOKIE_NAME": "rt",
                "ACCESS_COOKIE_MAX_AGE": "120",
                "REFRESH_COOKIE_MAX_AGE": "3600",
                "COOKIE_SAMESITE": "strict",
            ]
        )
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL, prefix: "/identity/v2")
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)
        #expect(try await HTTP.send(.POST, stack.baseURL + "/auth/login").status == 404)
        let login = try await client.login(name)
        #expect(login.status == 200)
        let access = try #require(AuthKitClient.setCookie("at", in: login))
        #expect(access.contains("Max-Age=120") && access.lowercased().contains("samesite=strict") && !access.contains("Secure"))
        let refresh = try #require(AuthKitClient.setCookie("rt", in: login))
        #expect(refresh.contains("Max-Age=3600") && refresh.contains("Path=/identity/v2"))
        #expect(try await client.send(.GET, "/me").status == 200, "the renamed access cookie is read")
        #expect(try await client.send(.POST, "/refresh").status == 200, "the renamed refresh cookie is read")
        _ = await stack.stop()

        let quiet = try await Stack(tokenInstances: 1, overrides: ["SET_COOKIE_ON_LOGIN": "false"])
        try await quiet.waitUntilReady()
        let quietClient = AuthKitClient(base: quiet.baseURL)
        let quietName = SeedFlowTests.unique("quiet")
        #expect(try await quietClient.register(quietName).status == 200)
        let noCookies = try await quietClient.login(quietName)
        #expect(noCookies.status == 200)
        #expect(noCookies.headers[canonicalForm: "set-cookie"].isEmpty)
        let token = try #require(noCookies.json?["refresh_token"] as? String)
        let rotated = try await quietClient.send(.POST, "/refresh", json: #"{"refresh_token":"\#(token)"}"#)
        #expect(rotated.status == 200)
        #expect(rotated.headers[canonicalForm: "set-cookie"].isEmpty)
        _ = await quiet.stop()

        let off = try await Stack(tokenInstances: 1, overrides: ["AUTH_ROUTER_PREFIX": ""])
        try await off.waitUntilReady()
        #expect(try await AuthKitClient(base: off.baseURL).register(SeedFlowTests.unique("off")).status == 404)
        _ = await off.stop()
    }

    @Test func loginLimitsAndLockoutApply() async throws {
        let stack = try await Stack(
            tokenInstances: 1,
            overrides: RateLimitTests.limited.merging(["RATE_LIMIT_REGISTER": "100/hour", "MAX_LOGIN_ATTEMPTS": "3"]) { _, new in new }
        )
        try await stack.waitUntilReady()
        let client = AuthKitClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("kit")
        #expect(try await client.register(name).status == 200)
        var statuses: [Int] = []
        for attempt in 1...4 {
            statuses.append(try await client.login(name, password: attempt <= 3 ? "WrongPass123!" : Self.password).status)
        }
        #expect(statuses == [401, 401, 401, 401], "locked after three failures, even with the right password: \(statuses)")
        let limited = try await client.login(name)
        #expect(limited.status == 401)
        #expect(limited.headers.first(name: "ratelimit-remaining") == "0")
        let sixth = try await client.login(name)
        #expect(sixth.status == 429, "five login attempts a minute per account")
        #expect(sixth.headers.first(name: "retry-after") != nil)
        _ = await stack.stop()
    }
}
