import Foundation
public import WireTesting

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A Redis of the test's own, so the test can stop and restart it without disturbing others.
/// It listens on a Unix socket in its own directory: no port for parallel tests to race for.
public final class PrivateRedis: @unchecked Sendable {
    public let directory = TemporaryDirectory(prefix: "redis")
    private var child: ChildProcess?
    /// Whether what Redis holds survives a restart (an append-only file, synced on every write).
    public let persistent: Bool
    /// The password Redis demands (`requirepass`), if any.
    public let password: String?

    public init(persistent: Bool = false, password: String? = nil) async throws {
        self.persistent = persistent
        self.password = password
        try await self.start()
    }

    public var socket: String { self.directory.appending("redis.sock") }
    public var url: String { "unix://\(self.socket)?db=0" }

    public func start() async throws {
        let executable =
            ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first { FileManager.default.fileExists(atPath: $0) } ?? "redis-server"
        self.child = try ChildProcess(
            name: "redis",
            executable: executable,
            arguments: [
                "--port", "0", "--unixsocket", self.socket, "--unixsocketperm", "700",
                "--save", "", "--appendonly", self.persistent ? "yes" : "no", "--appendfsync", "always", "--dir", self.directory.path,
            ] + (self.password.map { ["--requirepass", $0] } ?? []),
            environment: [:],
            logPath: self.directory.appending("redis.log")
        )
        // Wait until it accepts connections.
        for _ in 0..<100 {
            if (try? await self.cli(["ping"]))?.contains("PONG") == true {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    public func stop() async {
        _ = await self.child?.stop()
    }

    /// Freezes Redis (SIGSTOP): connections stay open but nothing answers, like a hung server.
    public func pause() {
        if let child { kill(child.process.processIdentifier, SIGSTOP) }
    }

    /// Lets a paused Redis run again (SIGCONT).
    public func resume() {
        if let child { kill(child.process.processIdentifier, SIGCONT) }
    }

    /// Runs `redis-cli` against this Redis (logged in when it has a password).
    public func cli(_ arguments: [String]) async throws -> String {
        let login = self.password.map { ["-a", $0, "--no-auth-warning"] } ?? []
        return try await ChildProcess.run("/usr/bin/redis-cli", ["-s", self.socket] + login + arguments, environment: [:]).output
    }

    deinit {
        if let child, child.process.isRunning {
            kill(child.process.processIdentifier, SIGCONT)
            kill(child.process.processIdentifier, SIGKILL)
        }
        self.directory.remove()
    }
}
