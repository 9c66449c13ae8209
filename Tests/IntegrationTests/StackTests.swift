import Foundation
import NIOHTTP1
import Testing
import WireTesting

@Suite("The stack, end to end", .serialized)
struct StackTests {
    @Test func servesHealthOverHTTPAndStopsCleanlyOnSIGTERM() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()

        let live = try await HTTP.get(stack.baseURL + "/health/live")
        #expect(live.status == 200)
        #expect(live.json?["status"] as? String == "ok")

        let ready = try await HTTP.get(stack.baseURL + "/health/ready")
        #expect(ready.status == 200)
        #expect(ready.json?["status"] as? String == "ready")
        let tokens = try #require(ready.json?["token"] as? [[String: Any]])
        #expect(tokens.count == 2, "both token instances are found in the socket directory")
        #expect(tokens.allSatisfy { $0["ready"] as? Bool == true })
        let identity = try #require(ready.json?["identity"] as? [[String: Any]])
        #expect((identity.first?["checks"] as? [String: String])?["postgresql"] == "up")
        #expect(!ready.body.contains(stack.directory.path) && !ready.body.contains("unix:"), "the public answer names no socket")

        let missing = try await HTTP.get(stack.baseURL + "/no/such/path")
        #expect(missing.status == 404)
        #expect(missing.json?["detail"] as? String == "Not Found")
        #expect(missing.headers.first(name: "content-type") == "application/json")

        let wrongMethod = try await HTTP.send(.POST, stack.baseURL + "/health/live")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.json?["detail"] != nil)

        let statuses = await stack.stop()
        for (name, status) in statuses {
            #expect(status == 0, "\(name) exits 0 on SIGTERM\n\(stack.logs)")
        }
        #expect(!FileManager.default.fileExists(atPath: stack.identitySocket), "identity removes its socket")
        #expect(!FileManager.default.fileExists(atPath: stack.tokenSocket(1)), "token removes its socket")
        #expect(!FileManager.default.fileExists(atPath: stack.tokenSocket(2)))
    }

    @Test func healthcheckSubcommandsAskTheirOwnProcess() async throws {
        let stack = try await Stack(tokenInstances: 1)
        defer { Task { _ = await stack.stop() } }
        try await stack.waitUntilReady()
        let environment = stack.environment

        let identity = try await ChildProcess.run(Executables.path("identity"), ["healthcheck", "--ready"], environment: environment)
        #expect(identity.status == 0, "\(identity.output)")
        #expect(identity.output.contains("postgresql=ok"))

        var tokenEnvironment = environment
        tokenEnvironment["TOKEN_SOCKET"] = stack.tokenSocket(1)
        let token = try await ChildProcess.run(Executables.path("token"), ["healthcheck", "--ready"], environment: tokenEnvironment)
        #expect(token.status == 0, "\(token.output)")
        #expect(token.output.contains("redis=ok"))

        var gatewayEnvironment = environment
        gatewayEnvironment["PORT"] = String(stack.port)
        let gateway = try await ChildProcess.run(Executables.path("gateway"), ["healthcheck"], environment: gatewayEnvironment)
        #expect(gateway.status == 0, "\(gateway.output)")

        let nobody = try await ChildProcess.run(
            Executables.path("identity"),
            ["healthcheck", "--socket", stack.directory.appending("nobody.sock")],
            environment: environment,
            timeout: .seconds(5)
        )
        #expect(nobody.status == 1)
        _ = await stack.stop()
    }
}
