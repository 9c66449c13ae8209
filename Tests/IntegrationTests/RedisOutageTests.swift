import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// A Redis of the test's own, so the test can stop and restart it without disturbing others.
/// It listens on a Unix socket in its own directory: no port for parallel tests to race for.
final class PrivateRedis: @unchecked Sendable {
    let directory = TemporaryDirectory(prefix: "redis")
    private var child: ChildProcess?

    init() async throws {
        try await self.start()
    }

    var socket: String { self.directory.appending("redis.sock") }
    var url: String { "unix://\(self.socket)?db=0" }

    func start() async throws {
        let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.fileExists(atPath: $0) } ?? "redis-server"
        self.child = try ChildProcess(
            name: "redis",
            executable: executable,
            arguments: [
                "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", self.directory.path,
            ],
            environment: [:],
            logPath: self.directory.appending("redis.log")
        )
        // Wait until it accepts connections.
        for _ in 0..<100 {
            if (try? await ChildProcess.run("/usr/bin/redis-cli", ["-s", self.socket, "ping"], environment: [:]).output)?.contains("PONG") == true {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() async {
        _ = await self.child?.stop()
    }

    deinit {
        if let child, child.process.isRunning { kill(child.process.processIdentifier, SIGKILL) }
        self.directory.remove()
    }
}

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
        let down = try await HTTP.get(stack.baseURL + "/health/ready")
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
}
