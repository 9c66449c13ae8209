import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceConfiguration
import ServiceTesting
import Testing

/// Every route's statuses, headers and bodies, through the gateway's real router and the
/// services' real operations in process (``InProcessBackends``): no sockets, no processes, the
/// real PostgreSQL and Redis. The end-to-end suites test the same flows through the real
/// executables.
@Suite("Routes with the operations in process")
struct RouteTests {
    static func configuration(_ extra: [String: String] = [:]) throws -> GatewayConfiguration {
        var environment = [
            "PORT": "0", "IDENTITY_SOCKET": "/tmp/unused-identity.sock", "TOKEN_SOCKETS": "/tmp/unused-token.sock",
            "RATE_LIMIT_REGISTER": "100/hour",
        ]
        environment.merge(extra) { $1 }
        return try GatewayConfiguration(environment: EnvironmentReader(environment))
    }

    static var logger: Logger {
        var logger = Logger(label: "route-test")
        logger.logLevel = .critical
        return logger
    }

    static func json(_ buffer: ByteBuffer) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: buffer).utf8))) as? [String: Any] ?? [:]
    }

    static func unique(_ prefix: String) -> String { "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())" }

    /// Runs `test` against a gateway on fresh in-process backends.
    static func withGateway(
        _ extra: [String: String] = [:],
        _ test: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await Self.withGateway(extra) { client, _ in try await test(client) }
    }

    /// The same, with the backends at hand (their database, for set-up).
    static func withGateway(
        _ extra: [String: String] = [:],
        _ test: @Sendable (any TestClientProtocol, InProcessBackends) async throws -> Void
    ) async throws {
        let backends = try await InProcessBackends()
        do {
            let app = buildApplication(configuration: try Self.configuration(extra), backends: backends.backends, logger: Self.logger)
            try await app.test(.router) { client in try await test(client, backends) }
        } catch {
            await backends.drop()
            throw error
        }
        await backends.drop()
    }

    static func register(_ client: any TestClientProtocol, _ name: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/register",
            method: .post,
            headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"username":"\#(name)","email":"\#(name)@example.com","password":"StrongPass123"}"#)
        )
    }

    static func login(_ client: any TestClientProtocol, _ name: String, password: String = "StrongPass123") async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/login",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "username=\(name)&password=\(password)")
        )
    }

    @Test func registerLogInReadRefreshAndLogOut() async throws {
        try await Self.withGateway { client in
            let name = Self.unique("route")
            let registered = try await Self.register(client, name)
            #expect(registered.status == .created)
            #expect(Self.json(registered.body)["username"] as? String == name)
            #expect(!String(buffer: registered.body).contains("argon2"))

            let login = try await Self.login(client, name)
            #expect(login.status == .ok)
            #expect(login.headers[.cacheControl] == "no-store")
            let body = Self.json(login.body)
            #expect(body["token_type"] as? String == "bearer")
            let access = try #require(body["access_token"] as? String)
            let cookie = try #require(login.headers[.setCookie])
            #expect(cookie.hasPrefix("refresh_token=") && cookie.contains("HttpOnly") && cookie.contains("Path=/api/v1"))
            let refreshToken = String(cookie.dropFirst("refresh_token=".count).prefix { $0 != ";" })

            let me = try await client.execute(uri: "/api/v1/about_me", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(me.status == .ok)
            #expect(Self.json(me.body)["username"] as? String == name)

            let refreshed = try await client.execute(uri: "/api/v1/refresh", method: .post, headers: [.cookie: "refresh_token=\(refreshToken)"])
            #expect(refreshed.status == .ok)
            #expect(refreshed.headers[.setCookie]?.hasPrefix("refresh_token=") == true)

            // The spent token again: theft, the session ends.
            let reused = try await client.execute(uri: "/api/v1/refresh", method: .post, headers: [.cookie: "refresh_token=\(refreshToken)"])
            #expect(reused.status == .unauthorized)
            #expect(Self.json(reused.body)["detail"] as? String != nil)
        }
    }

    @Test func wrongCredentialsAndMissingTokensAnswer401WithAChallenge() async throws {
        try await Self.withGateway { client in
            let name = Self.unique("route")
            _ = try await Self.register(client, name)
            let wrong = try await Self.login(client, name, password: "WrongPass123")
            #expect(wrong.status == .unauthorized)
            #expect(Self.json(wrong.body)["detail"] as? String == "Incorrect username or password")
            #expect(wrong.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)

            let anonymous = try await client.execute(uri: "/api/v1/about_me", method: .get)
            #expect(anonymous.status == .unauthorized)
            #expect(Self.json(anonymous.body)["detail"] as? String == "Not authenticated")

            let forged = try await client.execute(uri: "/api/v1/about_me", method: .get, headers: [.authorization: "Bearer not.a.jwt"])
            #expect(forged.status == .unauthorized)
            #expect(forged.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
        }
    }

    @Test func badInputGetsADetailAndTheRightStatus() async throws {
        try await Self.withGateway { client in
            let name = Self.unique("route")
            _ = try await Self.register(client, name)
            let taken = try await Self.register(client, name)
            #expect(taken.status == .conflict || taken.status == .badRequest)
            #expect(Self.json(taken.body)["detail"] != nil)

            let malformed = try await client.execute(
                uri: "/api/v1/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"x","username":"y"}"#)
            )
            #expect(malformed.status == .unprocessableContent)
            #expect(Self.json(malformed.body)["detail"] != nil)

            let weak = try await client.execute(
                uri: "/api/v1/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(Self.unique("weak"))","email":"weak@example.com","password":"password"}"#)
            )
            #expect(weak.status == .unprocessableContent)
        }
    }

    @Test func theAuthRouterLogsInWithCookiesAndLogsOut() async throws {
        try await Self.withGateway(["COOKIE_SECURE": "false"]) { client in
            let name = Self.unique("kit")
            let registered = try await client.execute(
                uri: "/auth/register",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username":"\#(name)","email":"\#(name)@example.com","password":"StrongPass123"}"#)
            )
            #expect(registered.status == .ok)
            #expect(Set(Self.json(registered.body).keys) == ["id", "email", "username", "is_staff", "is_active"])

            let login = try await client.execute(
                uri: "/auth/login",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username_or_email":"\#(name)@example.com","password":"StrongPass123"}"#)
            )
            #expect(login.status == .ok)
            let cookies = login.headers[values: .setCookie]
            let attributes = { (cookie: String) in Set(cookie.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }) }
            #expect(cookies.contains { $0.hasPrefix("access_token=") && attributes($0).contains("Path=/") })
            #expect(cookies.contains { $0.hasPrefix("refresh_token=") && attributes($0).contains("Path=/auth") })
            let access = try #require(Self.json(login.body)["access_token"] as? String)

            let me = try await client.execute(uri: "/auth/me", method: .get, headers: [.cookie: "access_token=\(access)"])
            #expect(me.status == .ok)
            #expect(Self.json(me.body)["username"] as? String == name)

            let logout = try await client.execute(uri: "/auth/logout", method: .post, headers: [.authorization: "Bearer \(access)"])
            #expect(logout.status == .ok)
            #expect(Self.json(logout.body)["logout"] as? String == "success")
            let after = try await client.execute(uri: "/auth/me", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(after.status == .unauthorized)
        }
    }

    @Test func tokenRevocationAsRFC7009Says() async throws {
        try await Self.withGateway { client in
            let name = Self.unique("revoke")
            _ = try await Self.register(client, name)
            let login = try await client.execute(
                uri: "/api/v1/auth/token",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "username=\(name)&password=StrongPass123")
            )
            #expect(login.status == .ok)
            let access = try #require(Self.json(login.body)["access_token"] as? String)
            let refresh = try #require(Self.json(login.body)["refresh_token"] as? String)
            func revoke(_ form: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/api/v1/auth/revoke",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: form)
                )
            }

            let access1 = try await revoke("token=\(access)&token_type_hint=access_token")
            #expect(access1.status == .ok && access1.body.readableBytes == 0)
            let me = try await client.execute(uri: "/api/v1/users/me", method: .get, headers: [.authorization: "Bearer \(access)"])
            #expect(me.status == .unauthorized, "the access token is denied")

            // The hint is only a hint: a refresh token sent as "access_token" still ends its session.
            #expect(try await revoke("token=\(refresh)&token_type_hint=access_token").status == .ok)
            let refreshed = try await client.execute(
                uri: "/api/v1/auth/refresh",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"refresh_token":"\#(refresh)"}"#)
            )
            #expect(refreshed.status == .unauthorized, "the session is over")

            #expect(try await revoke("token=not-a-token").status == .ok, "an unknown token is not an error")
            #expect(try await revoke("token_type_hint=refresh_token").status == .unprocessableContent)
        }
    }

    @Test func readinessAsksTheBackends() async throws {
        try await Self.withGateway { client in
            let ready = try await client.execute(uri: "/health/ready", method: .get)
            #expect(ready.status == .ok)
        }
    }
}
