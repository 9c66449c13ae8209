import HTTPTypes
import ServiceConfiguration
import Testing
import WireProtocol
@testable import Gateway

@Suite("Seed 003's router: settings and token shapes")
struct AuthRouterTests {
    static let base = ["PORT": "0", "IDENTITY_SOCKET": "/tmp/none-identity.sock", "TOKEN_SOCKETS": "/tmp/none-token.sock"]

    static func configuration(_ environment: [String: String]) throws -> GatewayConfiguration {
        try GatewayConfiguration(environment: EnvironmentReader(Self.base.merging(environment) { $1 }))
    }

    @Test func theRouterIsMountedAtAuthUnlessMovedOrTurnedOff() throws {
        let defaults = try Self.configuration([:])
        #expect(defaults.authRouter.prefix == "/auth")
        #expect(defaults.authRouter.setCookieOnLogin)
        #expect(defaults.authRouter.accessCookieMaxAge == nil && defaults.authRouter.refreshCookieMaxAge == nil)
        #expect(try Self.configuration(["AUTH_ROUTER_PREFIX": ""]).authRouter.prefix == nil)
        #expect(try Self.configuration(["AUTH_ROUTER_PREFIX": "/identity/v2/"]).authRouter.prefix == "/identity/v2")
        #expect(try Self.configuration(["SET_COOKIE_ON_LOGIN": "false"]).authRouter.setCookieOnLogin == false)
        let ages = try Self.configuration(["ACCESS_COOKIE_MAX_AGE": "60", "REFRESH_COOKIE_MAX_AGE": "86400"])
        #expect(ages.authRouter.accessCookieMaxAge == 60)
        #expect(ages.refreshCookie.maxAge == 86400)
    }

    @Test(arguments: [
        ("AUTH_ROUTER_PREFIX", "auth"), ("AUTH_ROUTER_PREFIX", "/"), ("AUTH_ROUTER_PREFIX", "/a b"), ("AUTH_ROUTER_PREFIX", "/a//b"),
        ("AUTH_ROUTER_PREFIX", "/api/v1"), ("AUTH_ROUTER_PREFIX", "/api/v1/auth"), ("AUTH_ROUTER_PREFIX", "/x;y"),
        ("ACCESS_COOKIE_MAX_AGE", "0"), ("ACCESS_COOKIE_MAX_AGE", "soon"), ("REFRESH_COOKIE_MAX_AGE", "99999999999"),
        ("SET_COOKIE_ON_LOGIN", "maybe"),
    ])
    func aWrongSettingNamesItsVariable(variable: String, value: String) {
        #expect { _ = try Self.configuration([variable: value]) } throws: { ($0 as? ConfigurationError)?.variable == variable }
    }

    @Test func onlyOurOpaqueRefreshTokensLookLikeRefreshTokens() {
        #expect(PresentedRefreshToken.isRefreshTokenShaped("42.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"))
        #expect(!PresentedRefreshToken.isRefreshTokenShaped("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"), "a JWT")
        #expect(!PresentedRefreshToken.isRefreshTokenShaped("garbage"))
        #expect(!PresentedRefreshToken.isRefreshTokenShaped(".a.b"))
        #expect(!PresentedRefreshToken.isRefreshTokenShaped("1.a.b.c"))
    }

    /// A `Set-Cookie` value as a browser reads it: its name and value, and its attributes in any
    /// order and case.
    static func parse(_ header: String) -> [String] {
        let parts = header.split(separator: ";").map { $0.trimmingCharacters(in: " ") }
        return [parts.first ?? ""] + parts.dropFirst().map { $0.lowercased() }.sorted()
    }

    @Test func cookiesAreWrittenWithTheConfiguredNamesAgesAndPaths() throws {
        let configuration = try Self.configuration([
            "TOKEN_LOCATIONS": "headers,cookies", "ACCESS_COOKIE_NAME": "at", "ACCESS_COOKIE_MAX_AGE": "60", "COOKIE_SECURE": "false",
        ])
        var pair = WireTokenPair()
        pair.accessToken = "access"
        pair.expiresIn = 900
        pair.refreshToken = "refresh"
        pair.refreshExpiresIn = 3600
        var headers = HTTPFields()
        configuration.sessionCookies.set(pair, .init(refreshPath: "/auth", access: true, csrf: true), in: &headers)
        let cookies = headers[values: .setCookie]
        #expect(cookies.count == 3)
        #expect(Self.parse(cookies[0]) == Self.parse("refresh_token=refresh; HttpOnly; Max-Age=3600; Path=/auth; SameSite=lax"))
        #expect(Self.parse(cookies[1]) == Self.parse("at=access; HttpOnly; Max-Age=60; Path=/; SameSite=lax"))
        #expect(cookies[2].hasPrefix("csrf_token=") && !cookies[2].contains("HttpOnly"))

        var cleared = HTTPFields()
        configuration.sessionCookies.clear(.init(access: true, csrf: false), in: &cleared)
        #expect(
            cleared[values: .setCookie].map(Self.parse) == [
                Self.parse("refresh_token=; HttpOnly; Max-Age=0; Path=/api/v1; SameSite=lax"),
                Self.parse("at=; HttpOnly; Max-Age=0; Path=/; SameSite=lax"),
            ]
        )
    }

    @Test func retriedChangesKeepTheLastTierAndTheLatestRevocationOfEachUser() {
        let changes: [SessionChange] = [
            .setTier(userID: 1, tier: "Pro"), .revokeAll(userID: 2, validAfterMs: 10), .setTier(userID: 3, tier: "Pro"),
            .revokeAll(userID: 2, validAfterMs: 20), .setTier(userID: 1, tier: ""), .revokeAll(userID: 1, validAfterMs: 5),
            .revokeAll(userID: 2, validAfterMs: 15),
        ]
        #expect(
            SessionChangeRetrier.pending(changes) == [
                .setTier(userID: 3, tier: "Pro"), .revokeAll(userID: 2, validAfterMs: 20), .setTier(userID: 1, tier: ""),
                .revokeAll(userID: 1, validAfterMs: 5),
            ]
        )
    }

    @Test func cookiesAreClearedWithTheAttributesTheyWereSetWith() throws {
        // Under SameSite=None a browser ignores a clearing cookie without Secure: every clearing
        // repeats Secure, SameSite and Path.
        let configuration = try Self.configuration(["TOKEN_LOCATIONS": "headers,cookies", "COOKIE_SAMESITE": "none"])
        var set = HTTPFields()
        var pair = WireTokenPair()
        pair.accessToken = "a"
        pair.refreshToken = "r"
        configuration.sessionCookies.set(pair, .init(access: true, csrf: true), in: &set)
        var cleared = HTTPFields()
        configuration.sessionCookies.clear(.init(access: true, csrf: true), in: &cleared)
        let attributes = { (cookie: String) in
            Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: " ") }.filter { !$0.hasPrefix("Max-Age") })
        }
        #expect(set[values: .setCookie].map(attributes) == cleared[values: .setCookie].map(attributes))
        #expect(
            cleared[values: .setCookie].map(Self.parse).allSatisfy {
                $0.contains("secure") && $0.contains("samesite=none") && $0.contains("max-age=0")
            }
        )
    }

    @Test func aNonLoopbackTCPBackendWithoutTLSRefusesToStart() {
        #expect { _ = try Self.configuration(["IDENTITY_SOCKET": "tcp://identity.internal:7001"]) } throws: {
            ($0 as? ConfigurationError)?.variable == "IDENTITY_SOCKET"
        }
        #expect { _ = try Self.configuration(["TOKEN_SOCKETS": "/run/auth/token.sock,tcp://10.1.1.1:7002"]) } throws: {
            ($0 as? ConfigurationError)?.variable == "TOKEN_SOCKETS"
        }
    }

    @Test func plainHTTPOriginsAreLocalOnly() throws {
        let local = try Self.configuration([
            "CORS_ORIGINS": #"["http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080", "https://app.example.com"]"#
        ])
        #expect(local.corsOrigins.count == 4)
        for origin in ["http://app.example.com", "http://localhost.evil.com", "http://10.0.0.5:3000"] {
            #expect { _ = try Self.configuration(["CORS_ORIGINS": "[\"\(origin)\"]"]) } throws: {
                ($0 as? ConfigurationError)?.variable == "CORS_ORIGINS"
            }
        }
    }
}
