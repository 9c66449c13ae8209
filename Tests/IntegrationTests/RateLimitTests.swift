import ServiceTesting
import Foundation
import NIOHTTP1
import Testing

@Suite("Rate limits shared through Redis")
struct RateLimitTests {
    /// Limits on, with five logins an hour rather than the default minute: the same counting, but
    /// logins slowed by a loaded machine (seconds each) do not earn one back during a test.
    static let limited = ["RATE_LIMIT_ENABLED": "true", "TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_LOGIN": "5/hour"]

    static func login(_ base: String, _ name: String, from ip: String, password: String = "StrongPass123") async throws -> HTTP.Reply {
        try await HTTP.send(
            .POST,
            base + "/api/v1/login",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", ip)],
            body: "username=\(name)&password=\(password)"
        )
    }

    static func register(_ base: String, _ name: String, from ip: String) async throws -> HTTP.Reply {
        try await HTTP.send(
            .POST,
            base + "/api/v1/register",
            headers: [("Content-Type", "application/json"), ("X-Forwarded-For", ip)],
            body: #"{"username":"\#(name)","email":"\#(name)@example.com","password":"StrongPass123"}"#
        )
    }

    @Test func theSixthLoginIsRefusedPerAddressAndPerAccount() async throws {
        let stack = try await Stack(tokenInstances: 2, overrides: Self.limited)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("rl")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.1").status == 201)

        for attempt in 1...5 {
            let reply = try await Self.login(stack.baseURL, name, from: "203.0.113.7", password: attempt == 3 ? "WrongPass123" : "StrongPass123")
            #expect([200, 401].contains(reply.status))
            #expect(reply.headers.first(name: "ratelimit-limit") == "5")
            #expect(reply.headers.first(name: "ratelimit-remaining") == String(5 - attempt))
        }
        let sixth = try await Self.login(stack.baseURL, name, from: "203.0.113.7")
        #expect(sixth.status == 429)
        #expect(Int(sixth.headers.first(name: "retry-after") ?? "") ?? 0 >= 1)
        #expect(sixth.headers.first(name: "ratelimit-remaining") == "0")
        #expect(sixth.json?["detail"] != nil)
        for header in EdgeTests.securityHeaders { #expect(sixth.headers.first(name: header) != nil, "\(header) on 429") }

        let otherAddress = try await Self.login(stack.baseURL, name, from: "192.0.2.44")
        #expect(otherAddress.status == 429, "the account itself is limited, whatever the address")
        let otherAccount = try await Self.login(stack.baseURL, SeedFlowTests.unique("nobody"), from: "192.0.2.44")
        #expect(otherAccount.status == 401, "another account from another address is not")
        _ = await stack.stop()
    }

    @Test func loginHeadersShowTheAddressBucketOnlyAndIPv6CountsByItsSlash64() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: Self.limited.merging(["RATE_LIMIT_REGISTER": "2/hour"]) { $1 })
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("share")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.9").status == 201)
        for _ in 0..<3 { _ = try await Self.login(stack.baseURL, name, from: "203.0.113.21", password: "WrongPass123") }
        // From a fresh address, by email: the account's bucket has 2 left, the address's 4. Showing
        // the smaller would tell the client that this email and that username are one account.
        let byEmail = try await Self.login(stack.baseURL, "\(name)@example.com", from: "203.0.113.22", password: "WrongPass123")
        #expect(byEmail.status == 401)
        #expect(byEmail.headers.first(name: "ratelimit-remaining") == "4")
        let stranger = try await Self.login(stack.baseURL, SeedFlowTests.unique("nobody"), from: "203.0.113.23", password: "WrongPass123")
        #expect(stranger.headers.first(name: "ratelimit-remaining") == "4", "the same answer as for an unrelated name")

        // Registrations from one /64 share a bucket, however the addresses differ.
        #expect(try await Self.register(stack.baseURL, SeedFlowTests.unique("v6"), from: "2001:db8:7:1::1").status == 201)
        #expect(try await Self.register(stack.baseURL, SeedFlowTests.unique("v6"), from: "2001:db8:7:1::beef").status == 201)
        #expect(try await Self.register(stack.baseURL, SeedFlowTests.unique("v6"), from: "2001:db8:7:1:ffff::2").status == 429)
        #expect(try await Self.register(stack.baseURL, SeedFlowTests.unique("v6"), from: "2001:db8:7:2::1").status == 201, "another /64")
        _ = await stack.stop()
    }

    @Test func everySpellingOfOneAccountCountsTogether() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: Self.limited)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("spell")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.3").status == 201)
        let spellings = [name, " \(name)", name.uppercased(), "\(name)@example.com", "\(name)%09", " \(name.uppercased())@EXAMPLE.com "]
        var statuses: [Int] = []
        for (index, spelling) in spellings.enumerated() {
            let reply = try await HTTP.send(
                .POST,
                stack.baseURL + "/api/v1/login",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", "203.0.113.\(60 + index)")],
                body:
                    "username=\(spelling.replacingOccurrences(of: " ", with: "+").replacingOccurrences(of: "@", with: "%40"))&password=StrongPass123"
            )
            statuses.append(reply.status)
        }
        #expect(statuses == [200, 200, 200, 200, 200, 429], "one account, one count, however it is written: \(statuses)")

        let long = String(repeating: "a", count: 400)
        let refused = try await Self.login(stack.baseURL, long, from: "203.0.113.90")
        #expect(refused.status == 422, "an over-long login is refused before any work: \(refused.body)")
        _ = await stack.stop()
    }

    @Test func theOAuth2TokenEndpointCountsAgainstTheSameLoginLimit() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: Self.limited)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("rlo")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.2").status == 201)
        let token = { (ip: String) in
            try await HTTP.send(
                .POST,
                stack.baseURL + "/api/v1/auth/token",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", ip)],
                body: "username=\(name)&password=StrongPass123"
            )
        }
        var statuses: [Int] = []
        for attempt in 1...6 {
            let ip = "203.0.113.\(100 + attempt)"
            statuses.append(attempt % 2 == 0 ? try await token(ip).status : try await Self.login(stack.baseURL, name, from: ip).status)
        }
        #expect(statuses == [200, 200, 200, 200, 200, 429], "five logins per account, whichever route: \(statuses)")
        _ = await stack.stop()
    }

    @Test func twoGatewaysShareOneLimitAndRegisterHasItsOwn() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: Self.limited)
        try await stack.waitUntilReady()
        let second = try await stack.startExtraGateway()
        let ip = "203.0.113.\(Int.random(in: 10...250))"
        var statuses: [Int] = []
        for index in 0..<4 {
            statuses.append(try await Self.register(index % 2 == 0 ? stack.baseURL : second, SeedFlowTests.unique("reg"), from: ip).status)
        }
        #expect(statuses == [201, 201, 201, 429], "3/hour across both gateways: \(statuses)")

        let name = SeedFlowTests.unique("two")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.9").status == 201)
        var logins: [Int] = []
        for index in 0..<6 {
            logins.append(try await Self.login(index % 2 == 0 ? stack.baseURL : second, name, from: "198.51.100.10").status)
        }
        #expect(logins == [200, 200, 200, 200, 200, 429], "\(logins)")
        _ = await stack.stop()
    }

    @Test func authenticatedRequestsAreLimitedPerUserWithRoleTiers() async throws {
        var overrides = Self.limited
        overrides["RATE_LIMIT_DEFAULT"] = "2/hour"
        overrides["RATE_LIMIT_TIERS"] = #"{"user": "4/hour"}"#
        let stack = try await Stack(tokenInstances: 1, overrides: overrides)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("tier")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.20").status == 201)
        let token = try #require(try await Self.login(stack.baseURL, name, from: "198.51.100.21").json?["access_token"] as? String)
        var statuses: [Int] = []
        for _ in 0..<5 {
            let reply = try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Authorization", "Bearer \(token)")])
            statuses.append(reply.status)
            if reply.status == 200 { #expect(reply.headers.first(name: "ratelimit-limit") == "4", "the role's tier applies") }
        }
        #expect(statuses == [200, 200, 200, 200, 429], "\(statuses)")
        _ = await stack.stop()
    }

    /// Refresh and logout carry the per-address limit inside their own token operation: a
    /// refused request spends nothing (the token stays current) and answers the usual 429.
    @Test func refreshAndLogoutCountAgainstTheAddressLimitAndARefusalSpendsNothing() async throws {
        var overrides = Self.limited
        overrides["RATE_LIMIT_DEFAULT"] = "3/hour"
        let stack = try await Stack(tokenInstances: 1, overrides: overrides)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("addr")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.40").status == 201)
        let client = CookieClient(base: stack.baseURL)
        let login = try await client.send(
            .POST,
            "/api/v1/login",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", "198.51.100.41")],
            body: "username=\(name)&password=StrongPass123"
        )
        #expect(login.status == 200)
        let limited = "203.0.113.\(Int.random(in: 10...250))"
        for remaining in [2, 1, 0] {
            let reply = try await client.send(.POST, "/api/v1/refresh", headers: [("X-Forwarded-For", limited)])
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "ratelimit-limit") == "3")
            #expect(reply.headers.first(name: "ratelimit-remaining") == String(remaining))
        }
        let current = try #require(client.refreshCookie)
        let refused = try await client.send(.POST, "/api/v1/refresh", headers: [("X-Forwarded-For", limited)])
        #expect(refused.status == 429, "\(refused.body)")
        #expect(Int(refused.headers.first(name: "retry-after") ?? "") ?? 0 >= 1)
        #expect(refused.headers.first(name: "ratelimit-remaining") == "0")
        #expect(refused.json?["detail"] as? String == "Rate limit exceeded, retry later")
        #expect(refused.headers[canonicalForm: "set-cookie"].isEmpty, "a refusal leaves the cookie alone")
        #expect(client.refreshCookie == current)
        let loggedOut = try await client.send(.POST, "/api/v1/logout", headers: [("X-Forwarded-For", limited)])
        #expect(loggedOut.status == 429, "logout counts against the same limit: \(loggedOut.body)")

        // From another address the same token is still current: the refused requests spent nothing.
        let other = try await client.send(.POST, "/api/v1/refresh", headers: [("X-Forwarded-For", "192.0.2.77")])
        #expect(other.status == 200, "\(other.body)")
        #expect(other.headers.first(name: "ratelimit-remaining") == "2")
        let spent = try #require(client.refreshCookie)
        #expect(try await client.send(.POST, "/api/v1/logout", headers: [("X-Forwarded-For", "192.0.2.77")]).status == 200)
        let after = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/refresh",
            headers: [("Cookie", "refresh_token=\(spent)"), ("X-Forwarded-For", "192.0.2.78")]
        )
        #expect(after.status == 401, "the logout ended the session")
        _ = await stack.stop()
    }

    @Test func withRedisDownLoginIsRefusedAndAuthenticatedReadsAreServed() async throws {
        let redis = try await PrivateRedis()
        var overrides = Self.limited
        overrides["REDIS_URL"] = redis.url
        let stack = try await Stack(tokenInstances: 1, overrides: overrides)
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("down")
        #expect(try await Self.register(stack.baseURL, name, from: "198.51.100.30").status == 201)
        let token = try #require(try await Self.login(stack.baseURL, name, from: "198.51.100.31").json?["access_token"] as? String)

        await redis.stop()
        let login = try await Self.login(stack.baseURL, name, from: "198.51.100.31")
        #expect(login.status == 503, "login fails closed: \(login.body)")
        let me = try await HTTP.get(stack.baseURL + "/api/v1/about_me", headers: [("Authorization", "Bearer \(token)")])
        #expect(me.status == 200, "authenticated reads fail open: \(me.body)")
        _ = await stack.stop()
    }
}
