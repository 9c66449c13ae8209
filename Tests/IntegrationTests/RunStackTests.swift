import Foundation
import Testing
import WireTesting

#if canImport(Glibc)
    import Glibc
#endif

/// `make run` as a small supervisor, driven as a developer or an operator would: a token instance
/// killed with SIGKILL comes back while the rest keeps serving, and SIGTERM or SIGINT (to the
/// script or to its whole process group) stops everything it started, PostgreSQL and Redis
/// included. Each run has its own state folder, port and databases.
@Suite("make run supervises its processes", .serialized)
struct RunStackTests {
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Processes whose command line or environment mentions `text`, by pid.
    static func processes(mentioning text: String) -> [Int32: String] {
        var found: [Int32: String] = [:]
        let own = getpid()
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != own else { continue }
            let command = (FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data()).map { $0 == 0 ? 32 : $0 }
            let environment = (FileManager.default.contents(atPath: "/proc/\(entry)/environ") ?? Data()).map { $0 == 0 ? 10 : $0 }
            let commandText = String(decoding: command, as: UTF8.self)
            if commandText.contains(text) || String(decoding: environment, as: UTF8.self).contains(text) { found[pid] = commandText }
        }
        return found
    }

    /// The pid of the token instance serving `socket`.
    static func tokenInstance(_ socket: String) -> Int32? {
        Self.processes(mentioning: "TOKEN_SOCKET=\(socket)").first { $0.value.contains("token serve") }?.key
    }

    /// Starts `path` as a terminal would: signals unblocked and at their defaults (a test runner's
    /// threads may block some, and a child inherits that mask), in a process group of its own.
    static let launcher = """
        import os, signal, sys
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        try:
            os.setsid()
        except PermissionError:
            pass  # already the leader of a process group of its own
        os.execv(sys.argv[1], sys.argv[1:])
        """

    /// Starts `scripts/run-stack` in a process group of its own, on the built executables.
    static func start(_ state: TemporaryDirectory, port: Int, extra: [String: String] = [:]) throws -> ChildProcess {
        var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
        environment["BIN_DIR"] = Executables.directory
        environment["RUN_STATE_DIR"] = state.appending("run")
        environment["PORT"] = String(port)
        environment["TOKEN_INSTANCES"] = "2"
        environment["COOKIE_SECURE"] = "false"
        environment["LOG_LEVEL"] = "notice"
        environment.merge(extra) { $1 }
        return try ChildProcess(
            name: "run-stack",
            executable: "/usr/bin/python3",
            arguments: ["-c", Self.launcher, Self.root + "/scripts/run-stack"],
            environment: environment,
            logPath: state.appending("run-stack.log")
        )
    }

    enum Stop: String, CaseIterable, Sendable {
        case termToGroup, termToScript, interruptToGroup
    }

    @Test(arguments: Stop.allCases)
    func aKilledInstanceComesBackAndAStopLeavesNothingRunning(_ stop: Stop) async throws {
        let state = TemporaryDirectory(prefix: "runstack")
        defer { state.remove() }
        // PostgreSQL runs as its own user and must reach its data folder inside.
        chmod(state.path, 0o755)
        let port = freeLoopbackPort()
        let script = try Self.start(state, port: port)
        let base = "http://127.0.0.1:\(port)"
        do {
            try await waitUntil("make run is ready", within: .seconds(120), interval: .milliseconds(250)) {
                guard script.process.isRunning else { throw TestFailure("make run ended") }
                return (try? await HTTP.get(base + "/health/ready"))?.status == 200
            }
        } catch {
            kill(-script.process.processIdentifier, SIGTERM)
            _ = await script.waitForExit(timeout: .seconds(30))
            Issue.record("make run did not become ready: \(script.log.suffix(3000))")
            throw error
        }

        if stop == .termToGroup {
            // A token instance killed outright: restarted, and the stack keeps answering.
            let socket = state.appending("run") + "/sockets/token/token-1.sock"
            let killed = try #require(Self.tokenInstance(socket), "token-1 is running")
            kill(killed, SIGKILL)
            #expect(try await HTTP.get(base + "/health/ready").status == 200, "token-2 still serves")
            try await waitUntil("token-1 is back", within: .seconds(30), interval: .milliseconds(100)) {
                Self.tokenInstance(socket).map { $0 != killed } ?? false
            }
            try await waitUntil("the stack is ready again", within: .seconds(30), interval: .milliseconds(200)) {
                (try? await HTTP.get(base + "/health/ready"))?.status == 200
            }
            #expect(script.log.contains("token-1 exited"), "the restart is logged")
            let log = try String(contentsOfFile: state.appending("run") + "/logs/token-1.log", encoding: .utf8)
            #expect(log.contains("restarting"))
        }

        let pid = script.process.processIdentifier
        switch stop {
        case .termToGroup: kill(-pid, SIGTERM)
        case .termToScript: kill(pid, SIGTERM)
        case .interruptToGroup: kill(-pid, SIGINT)
        }
        let status = await script.waitForExit(timeout: .seconds(60))
        #expect(status != nil, "make run ended")
        try await waitUntil("nothing of this run is left", within: .seconds(15), interval: .milliseconds(100)) {
            Self.processes(mentioning: state.path).isEmpty
        }
        #expect(Self.processes(mentioning: state.path).isEmpty, "left running: \(Self.processes(mentioning: state.path))")
        #expect(script.log.contains("run-stack: stopped"), "\(script.log.suffix(2000))")
    }

    /// `JWT_ALGORITHM=EdDSA make run` needs nothing more: the key directory is made under `.run/`.
    @Test func anAsymmetricAlgorithmGetsAKeyDirectoryUnderRun() async throws {
        let state = TemporaryDirectory(prefix: "runstack")
        defer { state.remove() }
        chmod(state.path, 0o755)
        let port = freeLoopbackPort()
        let script = try Self.start(state, port: port, extra: ["JWT_ALGORITHM": "EdDSA"])
        let base = "http://127.0.0.1:\(port)"
        defer { kill(-script.process.processIdentifier, SIGTERM) }
        try await waitUntil("make run with EdDSA is ready", within: .seconds(120), interval: .milliseconds(250)) {
            guard script.process.isRunning else { throw TestFailure("make run ended: \(script.log.suffix(2000))") }
            return (try? await HTTP.get(base + "/health/ready"))?.status == 200
        }
        let jwks = try await HTTP.get(base + "/.well-known/jwks.json")
        let keys = try #require(jwks.json?["keys"] as? [[String: Any]])
        #expect(keys.count == 1 && keys.first?["kty"] as? String == "OKP", "\(jwks.body)")
        #expect(FileManager.default.fileExists(atPath: state.appending("run") + "/keys-EdDSA/keys.json"))
        #expect(script.log.contains("EdDSA signing keys in"))
        kill(-script.process.processIdentifier, SIGTERM)
        _ = await script.waitForExit(timeout: .seconds(60))
    }
}
