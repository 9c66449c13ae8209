import Foundation
import NIOHTTP1
import Synchronization
import Testing
import WireTesting

@Suite("Scaling out and rolling restarts", .serialized)
struct ScalingTests {
    /// The token instances the gateway reports (each as `{ready, checks}`: the public answer names no address).
    static func tokenAddresses(_ stack: Stack) async throws -> [[String: Any]] {
        let ready = try await HTTP.get(stack.baseURL + "/health/ready")
        return ready.json?["token"] as? [[String: Any]] ?? []
    }

    @Test func theGatewayFollowsTheTokenSocketDirectory() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        #expect(try await Self.tokenAddresses(stack).count == 1)

        try stack.startToken(2)
        let start = ContinuousClock.now
        var seen: [[String: Any]] = []
        while ContinuousClock.now - start < .seconds(12) {
            seen = try await Self.tokenAddresses(stack)
            if seen.count == 2 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(seen.count == 2, "a new instance is picked up")
        // The directory is read every 250 ms and readiness answers are a second old at most:
        // a bound that a loaded machine keeps, not a speed measurement.
        #expect(ContinuousClock.now - start < .seconds(10), "within seconds of its socket appearing")

        // A stop drains for up to 8 s; on a loaded machine that and the exit took longer than the
        // default 10 s wait before the kill.
        let status = await stack.tokens[0].stop(timeout: .seconds(30))
        #expect(status == 0, "token-1 exit status \(String(describing: status)): \(stack.tokens[0].log.suffix(600))")
        var remaining: [[String: Any]] = []
        let stopped = ContinuousClock.now
        while ContinuousClock.now - stopped < .seconds(3) {
            remaining = try await Self.tokenAddresses(stack)
            if remaining.count == 1 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(remaining.count == 1 && remaining.first?["ready"] as? Bool == true, "a removed instance is no longer used")

        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("scale")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        #expect(try await SeedFlowTests.login(client, name).status == 200)
        #expect(try await client.send(.POST, "/api/v1/refresh").status == 200)
        _ = await stack.stop()
    }

    @Test func rollingRestartsUnderLoadFailNoRequest() async throws {
        let stack = try await Stack(tokenInstances: 2, identityInstances: 2)
        try await stack.waitUntilReady()
        let record = LoadRecord()

        // Four clients, each looping login → about_me → refresh, as long as the restarts go on.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        let client = CookieClient(base: stack.baseURL)
                        let name = SeedFlowTests.unique("roll\(worker)")
                        _ = try? await SeedFlowTests.register(client, name)
                        while record.running {
                            do {
                                let login = try await SeedFlowTests.login(client, name)
                                let token = login.json?["access_token"] as? String ?? ""
                                let me = try await client.send(.GET, "/api/v1/about_me", headers: [("Authorization", "Bearer \(token)")])
                                let refresh = try await client.send(.POST, "/api/v1/refresh")
                                for (label, reply) in [("login", login), ("about_me", me), ("refresh", refresh)] where reply.status != 200 {
                                    record.fail("\(label) \(reply.status) \(reply.body)")
                                }
                                record.complete(3)
                            } catch {
                                record.fail("transport: \(error)")
                            }
                        }
                    }
                }
            }
        }

        try await Task.sleep(for: .milliseconds(500))
        for index in [1, 2] {
            #expect(await stack.tokens[index - 1].stop() == 0, "token-\(index) drains and exits 0")
            try await Task.sleep(for: .milliseconds(300))
            try stack.startToken(index)
            try await stack.waitUntilReady(fresh: true)
        }
        for index in [1, 2] {
            #expect(await stack.identities[index - 1].stop() == 0, "identity-\(index) drains and exits 0")
            try await Task.sleep(for: .milliseconds(300))
            try stack.startIdentity(index)
            try await stack.waitUntilReady(fresh: true)
        }
        try await Task.sleep(for: .milliseconds(500))
        record.stop()
        await load.value

        let failed = record.failures
        #expect(record.completed > 50, "the load kept going")
        #expect(failed.isEmpty, "no request failed: \(failed.prefix(5))\n\(stack.logs.suffix(4000))")
        _ = await stack.stop()
    }
}

/// What the load clients of a test did, shared between them.
final class LoadRecord: Sendable {
    private let state = Mutex((running: true, completed: 0, failures: [String]()))
    var running: Bool { self.state.withLock { $0.running } }
    var completed: Int { self.state.withLock { $0.completed } }
    var failures: [String] { self.state.withLock { $0.failures } }
    func stop() { self.state.withLock { $0.running = false } }
    func complete(_ count: Int) { self.state.withLock { $0.completed += count } }
    func fail(_ what: String) { self.state.withLock { $0.failures.append(what) } }
}
