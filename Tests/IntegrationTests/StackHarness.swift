import Foundation
import NIOCore
import NIOPosix
import ServiceTesting
import WireTesting

/// Where the built executables are: `AUTH_BIN_DIR` (set by `make test`) or `.build/debug`.
enum Executables {
    static var directory: String {
        if let dir = ProcessInfo.processInfo.environment["AUTH_BIN_DIR"], !dir.isEmpty { return dir }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug").path
    }

    static func path(_ name: String) -> String { directory + "/" + name }
}

func randomSecret() -> String {
    String((0..<48).map { _ in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".randomElement()! })
}

/// The whole stack as `make run` starts it: identity, N token instances and the gateway, each a
/// real process talking over Unix sockets in a private directory, the gateway on a free port.
final class Stack: @unchecked Sendable {
    let directory = TemporaryDirectory(prefix: "stack")
    private(set) var port: Int = 0
    let environment: [String: String]
    private(set) var identities: [ChildProcess] = []
    var identity: ChildProcess { self.identities[0] }
    private(set) var tokens: [ChildProcess] = []
    private(set) var gateway: ChildProcess!

    var baseURL: String { "http://127.0.0.1:\(self.port)" }
    var identitySocket: String { self.identitySocket(1) }
    func identitySocket(_ index: Int) -> String { self.directory.appending(index == 1 ? "identity.sock" : "identity-\(index).sock") }
    var tokenDirectory: String { self.directory.appending("token") }
    func tokenSocket(_ index: Int) -> String { self.tokenDirectory + "/token-\(index).sock" }

    init(tokenInstances: Int = 2, identityInstances: Int = 1, overrides: [String: String] = [:]) async throws {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
        environment["DATABASE_URL"] = TestServices.databaseURL
        environment["REDIS_URL"] = TestServices.redisURL
        environment["ACCESS_SECRET"] = randomSecret()
        environment["REFRESH_SECRET"] = randomSecret()
        environment["API_KEY_SECRET"] = randomSecret()
        environment["MFA_ENCRYPTION_KEY"] = randomSecret()
        environment["IDENTITY_SOCKET"] = self.directory.appending("identity.sock")
        if identityInstances > 1 {
            let directory = self.directory
            environment["IDENTITY_SOCKETS"] = (1...identityInstances).map { index in
                directory.appending(index == 1 ? "identity.sock" : "identity-\(index).sock")
            }.joined(separator: ",")
        }
        environment["TOKEN_SOCKET_DIR"] = self.directory.appending("token")
        // Port 0: the gateway binds a free port itself and logs it, so parallel stacks never collide.
        environment["PORT"] = "0"
        environment["LOG_LEVEL"] = "info"
        environment["COOKIE_SECURE"] = "false"
        // Own Redis keys (rate-limit buckets included) and no limits unless a test asks for them.
        environment["REDIS_KEY_PREFIX"] = "stack-\(UUID().uuidString.prefix(8))"
        environment["RATE_LIMIT_ENABLED"] = "false"
        environment.merge(overrides) { _, new in new }
        self.environment = environment

        for index in 1...identityInstances {
            try self.startIdentity(index)
        }
        for index in 1...tokenInstances {
            try self.startToken(index)
        }
        self.gateway = try ChildProcess(
            name: "gateway",
            executable: Executables.path("gateway"),
            arguments: ["serve"],
            environment: environment,
            logPath: self.directory.appending("gateway.log")
        )
        self.port = try await Self.boundPort(of: self.gateway)
    }

    /// The port a gateway started with `PORT=0` reports in its log (`marker` names the line:
    /// "metrics on" for the metrics listener started with `METRICS_PORT=0`).
    static func boundPort(of gateway: ChildProcess, marker: String = "listening on") async throws -> Int {
        for _ in 0..<400 {
            for line in gateway.log.split(separator: "\n") where line.contains(marker) {
                if let colon = line.lastIndex(of: ":") {
                    let digits = line[line.index(after: colon)...].prefix { $0.isNumber }
                    if let port = Int(digits), port > 0 { return port }
                }
            }
            if !gateway.process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StackError.notReady("the gateway did not report its port (\(marker)):\n\(gateway.log)")
    }

    /// Starts identity instance `index`, or starts it again after a stop (each start logs to its own file).
    func startIdentity(_ index: Int) throws {
        let process = try self.serve("identity", index: index, socketVariable: "IDENTITY_SOCKET", socket: self.identitySocket(index))
        if index <= self.identities.count { self.identities[index - 1] = process } else { self.identities.append(process) }
    }

    func startToken(_ index: Int) throws {
        let process = try self.serve("token", index: index, socketVariable: "TOKEN_SOCKET", socket: self.tokenSocket(index))
        if index <= self.tokens.count { self.tokens[index - 1] = process } else { self.tokens.append(process) }
    }

    private var starts = 0

    /// `executable serve` as instance `index` on its own socket; each start logs to its own file.
    private func serve(_ executable: String, index: Int, socketVariable: String, socket: String) throws -> ChildProcess {
        var environment = self.environment
        environment[socketVariable] = socket
        self.starts += 1
        return try ChildProcess(
            name: "\(executable)-\(index)",
            executable: Executables.path(executable),
            arguments: ["serve"],
            environment: environment,
            logPath: self.directory.appending("\(executable)-\(index)-start\(self.starts).log")
        )
    }

    private(set) var extraGateways: [ChildProcess] = []

    /// Another gateway process on its own port in front of the same backends; its base URL.
    func startExtraGateway() async throws -> String {
        let gateway = try ChildProcess(
            name: "gateway-\(self.extraGateways.count + 2)",
            executable: Executables.path("gateway"),
            arguments: ["serve"],
            environment: self.environment,
            logPath: self.directory.appending("gateway-\(self.extraGateways.count + 2).log")
        )
        self.extraGateways.append(gateway)
        let base = "http://127.0.0.1:\(try await Self.boundPort(of: gateway))"
        for _ in 0..<200 {
            if (try? await HTTP.get(base + "/health/live"))?.status == 200 { return base }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw StackError.notReady(self.logs)
    }

    var processes: [ChildProcess] { [self.gateway] + self.extraGateways + self.identities + self.tokens }

    /// Everything the processes logged, for a failing test's message.
    var logs: String { self.processes.map { "--- \($0.name)\n\($0.log)" }.joined(separator: "\n") }

    /// Waits until `/health/ready` answers 200 with every identity and token instance found and ready.
    ///
    /// - Parameter fresh: after a restart: take only an answer the gateway probed after this call
    ///   started (it serves one probe for a second), not one from before the restart.
    func waitUntilReady(timeout: Duration = .seconds(20), fresh: Bool = false) async throws {
        let started = ContinuousClock.now
        let deadline = started + timeout
        while ContinuousClock.now < deadline {
            if fresh && ContinuousClock.now - started < .milliseconds(1100) {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            if let response = try? await HTTP.get(self.baseURL + "/health/ready"), response.status == 200,
                let tokens = response.json?["token"] as? [[String: Any]],
                tokens.count == self.tokens.count, tokens.allSatisfy({ $0["ready"] as? Bool == true }),
                let identities = response.json?["identity"] as? [[String: Any]],
                identities.count == self.identities.count, identities.allSatisfy({ $0["ready"] as? Bool == true })
            {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw StackError.notReady(self.logs)
    }

    /// SIGTERM to every process; their exit statuses by name.
    func stop() async -> [String: Int32?] {
        var statuses: [String: Int32?] = [:]
        for process in self.processes { statuses[process.name] = await process.stop() }
        return statuses
    }

    deinit {
        for process in [self.gateway].compactMap({ $0 }) + self.extraGateways + self.identities + self.tokens where process.process.isRunning {
            kill(process.process.processIdentifier, SIGKILL)
        }
        self.directory.remove()
    }
}

enum StackError: Error, CustomStringConvertible {
    case notReady(String)
    var description: String {
        switch self {
        case .notReady(let logs): "the stack did not become ready; logs:\n\(logs)"
        }
    }
}
