import Foundation
import NIOCore
import NIOPosix
import NIOHTTP1
import Testing
import WireTesting

@Suite("The gateway's edge", .serialized)
struct EdgeTests {
    static let securityHeaders = ["x-content-type-options", "x-frame-options", "referrer-policy", "content-security-policy"]

    @Test func securityHeadersOnEveryAnswerAndCORSForListedOriginsOnly() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["CORS_ORIGINS": #"["https://app.example.com"]"#])
        try await stack.waitUntilReady()
        let base = stack.baseURL
        let answers = [
            ("200", try await HTTP.get(base + "/health/live")),
            ("401", try await HTTP.get(base + "/api/v1/about_me")),
            ("404", try await HTTP.get(base + "/nowhere")),
            ("422", try await HTTP.send(.POST, base + "/api/v1/register", headers: [("Content-Type", "application/json")], body: "{}")),
        ]
        for (label, reply) in answers {
            for header in Self.securityHeaders {
                #expect(reply.headers.first(name: header) != nil, "\(header) on \(label)")
            }
        }
        #expect(answers[1].1.headers.first(name: "cache-control") == "no-store", "API answers are not cached")

        let preflight = try await HTTP.send(
            .OPTIONS,
            base + "/api/v1/login",
            headers: [("Origin", "https://app.example.com"), ("Access-Control-Request-Method", "POST")]
        )
        #expect(preflight.status == 204)
        #expect(preflight.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
        #expect(preflight.headers.first(name: "access-control-allow-credentials") == "true")
        #expect(preflight.headers.first(name: "vary") == "Origin")

        let stranger = try await HTTP.send(
            .OPTIONS,
            base + "/api/v1/login",
            headers: [("Origin", "https://evil.example.com"), ("Access-Control-Request-Method", "POST")]
        )
        #expect(stranger.status == 400)
        #expect(stranger.headers.first(name: "access-control-allow-origin") == nil)

        let listed = try await HTTP.get(base + "/health/live", headers: [("Origin", "https://app.example.com")])
        #expect(listed.headers.first(name: "access-control-allow-origin") == "https://app.example.com")
        let unlisted = try await HTTP.get(base + "/health/live", headers: [("Origin", "https://evil.example.com")])
        #expect(unlisted.headers.first(name: "access-control-allow-origin") == nil)
        _ = await stack.stop()
    }

    @Test func badInputGetsAClearStatusAndNever500() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let base = stack.baseURL
        let json = [("Content-Type", "application/json")]
        let cases: [(String, HTTPMethod, String, [(String, String)], String?, Int)] = [
            ("body over the limit", .POST, "/api/v1/register", json, String(repeating: " ", count: 70_000), 413),
            ("wrong content type", .POST, "/api/v1/register", [("Content-Type", "text/plain")], "hello", 415),
            ("wrong content type on login", .POST, "/api/v1/login", [("Content-Type", "application/xml")], "<a/>", 415),
            ("duplicate keys", .POST, "/api/v1/register", json, #"{"username":"a","username":"b"}"#, 422),
            ("deep nesting", .POST, "/api/v1/register", json, String(repeating: "[", count: 50) + String(repeating: "]", count: 50), 422),
            ("number for a string", .POST, "/api/v1/register", json, #"{"username":1,"email":"a@b.co","password":"StrongPass123"}"#, 422),
            ("array for a string", .POST, "/api/v1/register", json, #"{"username":["a"],"email":"a@b.co","password":"StrongPass123"}"#, 422),
            ("NUL in a field", .POST, "/api/v1/register", json, #"{"username":"ab\u0000c","email":"a@b.co","password":"StrongPass123"}"#, 422),
            (
                "password over 128", .POST, "/api/v1/login", [("Content-Type", "application/x-www-form-urlencoded")],
                "username=a&password=" + String(repeating: "A", count: 200), 422
            ),
            ("oversize Authorization", .GET, "/api/v1/about_me", [("Authorization", "Bearer " + String(repeating: "x", count: 9000))], nil, 401),
            ("headers over the limit", .GET, "/health/live", [("X-Filler", String(repeating: "y", count: 20_000))], nil, 431),
        ]
        for (label, method, path, headers, body, expected) in cases {
            let reply = try await HTTP.send(method, base + path, headers: headers, body: body)
            #expect(reply.status == expected, "\(label): \(reply.status) \(reply.body.prefix(200))")
            #expect(reply.json?["detail"] != nil, "\(label) answers {\"detail\": …}")
        }
        let invalidUTF8 = try await HTTP.sendBytes(
            .POST,
            base + "/api/v1/register",
            headers: json,
            body: [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D]
        )
        #expect(invalidUTF8.status == 422)
        _ = await stack.stop()
    }

    @Test func thousandsOfRandomRequestsNeverGet500OrCrashAProcess() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        // A real user's token, so that fuzzed bodies also reach the routes behind authentication.
        let api = APIClient(base: stack.baseURL)
        let owner = SeedFlowTests.unique("fuzz")
        try await api.register(owner)
        let valid = try await api.tokens(owner).access
        let routes: [(HTTPMethod, String)] = [
            (.POST, "/api/v1/register"), (.POST, "/api/v1/login"), (.POST, "/api/v1/refresh"), (.POST, "/api/v1/logout"),
            (.GET, "/api/v1/about_me"), (.GET, "/health/ready"), (.GET, "/health/live"), (.PUT, "/api/v1/login"),
            (.POST, "/api/v1/auth/token"), (.POST, "/api/v1/auth/refresh"), (.POST, "/api/v1/auth/logout"),
            (.POST, "/api/v1/auth/change-password"), (.GET, "/api/v1/users/me"), (.PUT, "/api/v1/users/me"),
            (.POST, "/api/v1/api-keys/generate"), (.DELETE, "/api/v1/api-keys/revoke"), (.GET, "/api/v1/admin/users?skip=%@&limit=%@"),
            (.PUT, "/api/v1/admin/users/%@/role?new_role=%@"), (.GET, "/api/v1/admin/dashboard"), (.GET, "/health"),
            (.PUT, "/api/v1/admin/users/%@/tier?tier=%@"), (.POST, "/auth/register"), (.POST, "/auth/login"), (.POST, "/auth/refresh"),
            (.POST, "/auth/logout"), (.GET, "/auth/me"),
        ]
        let types = ["application/json", "application/x-www-form-urlencoded", "text/plain", "", "application/json; charset=utf-8"]
        let fragments = [
            "{", "}", "[", "]", "\"", ":", ",", "username", "password", "email", "=", "&", "%", "%zz", "\\u0000", "null", "1e999", "true", "é", "🔥",
            " ",
        ]
        var generator = SeededRandomNumberGenerator.forTest("random requests at the edge")
        var serverErrors: [String] = []
        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<2000 {
                let (method, template) = routes[index % routes.count]
                let body = (0..<Int.random(in: 0...24, using: &generator)).map { _ in fragments.randomElement(using: &generator)! }.joined()
                var path = template
                while let hole = path.range(of: "%@") {
                    let value = fragments.randomElement(using: &generator)! + (Bool.random(using: &generator) ? "1" : "admin")
                    path.replaceSubrange(hole, with: value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                }
                var headers: [(String, String)] = []
                let type = types.randomElement(using: &generator)!
                if !type.isEmpty { headers.append(("Content-Type", type)) }
                // Never the real token on DELETE /users/me: the account must outlive the run.
                let bearers = ["Bearer", "Bearer a.b.c", "Basic xyz", "bearer   ", "Bearer " + body] + (method == .DELETE ? [] : ["Bearer " + valid])
                if Bool.random(using: &generator) { headers.append(("Authorization", bearers.randomElement(using: &generator)!)) }
                if Bool.random(using: &generator) {
                    headers.append(
                        (
                            "X-API-Key",
                            ["ak_" + String(body.prefix(40)), "garbage", String(repeating: "k", count: 300)].randomElement(using: &generator)!
                                .addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                        )
                    )
                }
                if Bool.random(using: &generator) {
                    headers.append(
                        ("Cookie", "refresh_token=" + String(body.prefix(80)).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
                    )
                }
                group.addTask {
                    let reply = try await HTTP.send(method, stack.baseURL + path, headers: headers, body: body.isEmpty ? nil : body)
                    return reply.status >= 500 && reply.status != 503 ? "\(method) \(path) \(reply.status) \(body)" : nil
                }
                if index % 16 == 15 {
                    for try await failure in group.prefix(16) { if let failure { serverErrors.append(failure) } }
                }
            }
            for try await failure in group { if let failure { serverErrors.append(failure) } }
        }
        #expect(serverErrors.isEmpty, "\(serverErrors.prefix(5))")
        #expect(stack.processes.allSatisfy { $0.process.isRunning }, "no process crashed")
        _ = await stack.stop()
    }
}

@Suite("Slow and idle clients")
struct SlowClientTests {
    /// Connects, sends `bytes`, then waits for the gateway to close; how long that took.
    static func secondsUntilClosed(port: Int, sending bytes: String) async throws -> Duration {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let started = ContinuousClock.now
        do {
            try await channel.executeThenClose { inbound, outbound in
                if !bytes.isEmpty { try await outbound.write(ByteBuffer(string: bytes)) }
                for try await _ in inbound {}
            }
        } catch ChannelError.ioOnClosedChannel {
            // On a loaded machine the gateway may close the connection before the bytes go out:
            // closed is what is measured.
        }
        return ContinuousClock.now - started
    }

    @Test func idleAndStalledConnectionsAreClosed() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["IDLE_TIMEOUT_SECONDS": "1"])
        try await stack.waitUntilReady()
        let idle = try await Self.secondsUntilClosed(port: stack.port, sending: "")
        // The timeout is 1 s; the bound is "closed, not left open for the default 60 s".
        #expect(idle < .seconds(15), "an idle connection is closed: \(idle)")
        let stalled = try await Self.secondsUntilClosed(port: stack.port, sending: "GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        #expect(stalled < .seconds(15), "a client that stops mid-request is cut off: \(stalled)")
        #expect(try await HTTP.get(stack.baseURL + "/health/live").status == 200)
        _ = await stack.stop()
    }

    /// A client that connected and said nothing, or stopped mid-request, must not hold a stop:
    /// the gateway closes such connections when SIGTERM comes, not when their idle timeout ends.
    @Test func silentConnectionsDoNotHoldTheStop() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let silent = Task { try await Self.secondsUntilClosed(port: stack.port, sending: "") }
        let halfSent = Task { try await Self.secondsUntilClosed(port: stack.port, sending: "GET /health/live HTTP/1.1\r\nHost: x\r\n") }
        let h2Silent = Task { try await Self.secondsUntilClosed(port: stack.port, sending: "PRI * HTTP/2.0\r\n") }
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        let status = await stack.gateway.stop(timeout: .seconds(30))
        let took = ContinuousClock.now - started
        #expect(status == 0, "the gateway exits 0\n\(stack.gateway.log)")
        // Under 8 s, the bound on a graceful stop: nothing held it (the idle timeout is 60 s).
        #expect(took < .seconds(7), "the stop took \(took)")
        for connection in [silent, halfSent, h2Silent] { _ = try? await connection.value }
        _ = await stack.stop()
    }
}
