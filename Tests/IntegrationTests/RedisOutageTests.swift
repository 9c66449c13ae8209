import ServiceTesting
import Foundation
import NIOHTTP1
import Logging
import NIOCore
import Testing
import TokenService
import WireTesting

@Suite("Dependency outages")
struct RedisOutageTests {
    @Test func redisDownIsReportedAndRecoveredWithoutRestartingAnything() async throws {
        let redis = try await PrivateRedis()
        let stack = try await Stack(tokenInstances: 2, overrides: ["REDIS_URL": redis.url])
        try await stack.waitUntilReady()

        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("outage")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        #expect(try await SeedFlowTests.login(client, name).status == 200)

        await redis.stop()
        let refusedLogin = try await SeedFlowTests.login(client, name)
        #expect(refusedLogin.status == 503, "no session can be started without Redis: \(refusedLogin.body)")
        #expect(refusedLogin.headers.first(name: "retry-after") != nil)
        // Readiness is probed at most once a second: the answer turns within about that.
        var down = try await HTTP.get(stack.baseURL + "/health/ready")
        for _ in 0..<30 where down.status == 200 {
            try await Task.sleep(for: .milliseconds(100))
            down = try await HTTP.get(stack.baseURL + "/health/ready")
        }
        #expect(down.status == 503)
        let detail = down.json?["detail"] as? String ?? ""
        #expect(detail.contains("redis"), "the 503 names Redis: \(down.body)")
        #expect(down.headers.first(name: "retry-after") != nil)
        #expect(try await HTTP.get(stack.baseURL + "/health/live").status == 200, "liveness does not depend on Redis")

        try await redis.start()
        var recovered = false
        for _ in 0..<100 where !recovered {
            recovered = try await HTTP.get(stack.baseURL + "/health/ready").status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recovered, "ready again within 10 s of Redis coming back\n\(stack.logs)")
        // Redis came back empty (no persistence here): sessions start and rotate again.
        #expect(try await SeedFlowTests.login(client, name).status == 200)
        #expect(try await client.send(.POST, "/api/v1/refresh").status == 200)
        let statuses = await stack.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 })
    }

    /// A role change made while Redis is down: the user's old access token is refused at once
    /// (identity's record of the moment), and the old session dies as soon as Redis is back (the
    /// gateway retries the revocation).
    @Test func revocationsMadeWhileRedisIsDownStillHappen() async throws {
        let redis = try await PrivateRedis(persistent: true)
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let stack = try await Stack(
            tokenInstances: 1,
            overrides: [
                "REDIS_URL": redis.url, "DATABASE_URL": database.url,
                "BOOTSTRAP_ADMIN_USERNAME": "root", "BOOTSTRAP_ADMIN_EMAIL": "root@example.com", "BOOTSTRAP_ADMIN_PASSWORD": "Adm1nSecretPw",
            ]
        )
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let root = try await Seed001Tests.AdminTests.eventually { try await api.tokens("root", password: "Adm1nSecretPw") }
        let bob = try await api.register("bob")
        let session = try await api.tokens("bob")

        await redis.stop()
        #expect(try await api.me(bearer: session.access).status == 200, "reads go on through the outage")
        let changed = try await api.json(.PUT, "/api/v1/admin/users/\(bob)/role?new_role=moderator", bearer: root.access)
        #expect(changed.status == 200, "\(changed.body)")
        #expect(try await api.me(bearer: session.access).status == 401, "refused at once, though Redis could not be told")

        try await redis.start()
        // The gateway's retry reaches Redis: the user's epoch moves.
        var quiet = Logger(label: "probe")
        quiet.logLevel = .critical
        let probe = RedisClient(endpoint: try RedisEndpoint(url: redis.url), connections: 1, timeout: .seconds(2), logger: quiet)
        let epoch = RedisKeyspace(prefix: stack.environment["REDIS_KEY_PREFIX"] ?? "auth").user(Int64(bob), "epoch")
        try await waitUntil("the retried revocation reaches Redis", within: .seconds(30), interval: .milliseconds(100)) {
            (try? await probe.command(["EXISTS", epoch]))?.integer == 1
        }
        // The old session's token, presented once (a 503 consumed nothing, so presenting again
        // after one is not reuse).
        var reply = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        for _ in 0..<100 where reply.status == 503 {
            try await Task.sleep(for: .milliseconds(100))
            reply = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        }
        #expect(reply.status == 401, "the old session ended once Redis was back: \(reply.status) \(reply.body)")
        #expect(!reply.detail.contains("reuse"))
        let fresh = try await api.tokens("bob")
        #expect(try await api.me(bearer: fresh.access).json?["role"] as? String == "moderator")
        _ = await stack.stop()
    }
}
