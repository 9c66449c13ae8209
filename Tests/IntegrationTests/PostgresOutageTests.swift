import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// A PostgreSQL and Redis of the test's own (scripts/services), so the test can stop and
/// restart PostgreSQL without disturbing the others.
final class PrivateServices: @unchecked Sendable {
    let directory = TemporaryDirectory(prefix: "services")
    var databaseURL = ""
    var redisURL = ""

    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/services").path
    }

    init() async throws {
        // The data folder must be reachable by the postgres account when the tests run as root.
        chmod(self.directory.path, 0o755)
        let started = try await self.run("start")
        for line in started.split(separator: "\n") {
            if line.hasPrefix("DATABASE_URL=") { self.databaseURL = String(line.dropFirst("DATABASE_URL=".count)) }
            if line.hasPrefix("REDIS_URL=") { self.redisURL = String(line.dropFirst("REDIS_URL=".count)) }
        }
        let migrated = try await ChildProcess.run(Executables.path("identity"), ["migrate"], environment: ["DATABASE_URL": self.databaseURL])
        guard migrated.status == 0 else { throw StackError.notReady(migrated.output) }
    }

    @discardableResult
    func run(_ command: String) async throws -> String {
        let result = try await ChildProcess.run(
            "/bin/bash",
            [Self.script, command, self.directory.path],
            environment: ProcessInfo.processInfo.environment,
            timeout: .seconds(60)
        )
        guard result.status == 0 else { throw StackError.notReady("services \(command): \(result.output)") }
        return result.output
    }

    func stop() async {
        _ = try? await self.run("stop")
        self.directory.remove()
    }

    /// A test that failed before `stop()` must not leave its PostgreSQL and Redis running.
    deinit {
        guard FileManager.default.fileExists(atPath: self.directory.appending("services.env")) else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.script, "stop", self.directory.path]
        process.standardOutput = FileHandle.nullDevice
        if (try? process.run()) != nil { process.waitUntilExit() }
        self.directory.remove()
    }
}

@Suite("PostgreSQL outage")
struct PostgresOutageTests {
    @Test func identityAnswers503WhilePostgresIsDownAndRecoversByItself() async throws {
        let services = try await PrivateServices()
        let stack = try await Stack(tokenInstances: 1, overrides: ["DATABASE_URL": services.databaseURL, "REDIS_URL": services.redisURL])
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("pg")
        #expect(try await SeedFlowTests.register(client, name).status == 201)

        try await services.run("pg-stop")
        // Readiness is probed at most once a second: the answer turns within about that.
        var down = try await HTTP.get(stack.baseURL + "/health/ready")
        for _ in 0..<30 where down.status == 200 {
            try await Task.sleep(for: .milliseconds(100))
            down = try await HTTP.get(stack.baseURL + "/health/ready")
        }
        #expect(down.status == 503)
        #expect((down.json?["detail"] as? String ?? "").contains("postgresql"), "\(down.body)")
        let login = try await SeedFlowTests.login(client, name)
        #expect(login.status == 503, "login without PostgreSQL: \(login.body)")
        #expect(login.headers.first(name: "retry-after") != nil)

        try await services.run("pg-start")
        var recovered = false
        for _ in 0..<100 where !recovered {
            recovered = try await SeedFlowTests.login(client, name).status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recovered, "identity reconnects without a restart\n\(stack.logs)")
        try await stack.waitUntilReady(fresh: true)
        let statuses = await stack.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)\n\(stack.logs)")
        await services.stop()
    }
}
