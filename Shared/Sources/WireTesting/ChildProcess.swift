public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A program a test starts (one of our executables, redis-server, python, openssl), its output
/// in a log file.
///
/// Its exit is polled with `Task.sleep`, never waited for on a thread: a blocking wait would hold
/// one of the few threads of the cooperative pool that the whole suite shares.
public final class ChildProcess: @unchecked Sendable {
    public let name: String
    public let process = Process()
    public let logPath: String

    /// Starts `executable`; `environment` `nil` passes on the test's own.
    public init(name: String, executable: String, arguments: [String], environment: [String: String]?, logPath: String) throws {
        self.name = name
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        if let environment { self.process.environment = environment }
        self.process.standardOutput = log
        self.process.standardError = log
        try self.process.run()
    }

    /// Everything it printed so far.
    public var log: String { (try? String(contentsOfFile: self.logPath, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the exit; the exit status, or `nil` if it did not exit in time.
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> Int32? {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
        return await self.waitForExit(timeout: timeout)
    }

    /// The exit status, or `nil` (and the process killed) when it runs past `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            // Foundation learns of the exit from a SIGCHLD handler on a dispatch queue, which a
            // loaded test process serves seconds late: the kernel already knows.
            if let status = Self.exitStatusOfZombie(self.process.processIdentifier) { return status }
            if ContinuousClock.now > deadline {
                kill(self.process.processIdentifier, SIGKILL)
                return nil
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return self.process.terminationStatus
    }

    /// The exit status of `pid` when it has exited and is not reaped yet (state `Z` in
    /// `/proc/PID/stat`, whose 52nd field is the status as `waitpid` reports it); else `nil`.
    static func exitStatusOfZombie(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm) ": field 3 is the state; the comm may hold spaces, hence the last ")".
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.first == "Z", fields.count >= 50, let raw = Int32(fields[49].trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        // A normal exit: its code; killed by a signal: the signal's number, as Foundation gives it.
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    /// Runs `executable` to its end (killed after `timeout`): its exit status and everything it
    /// printed. `environment` `nil` passes on the test's own.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, output: String) {
        let directory = TemporaryDirectory(prefix: "run")
        defer { directory.remove() }
        let child = try ChildProcess(
            name: executable,
            executable: executable,
            arguments: arguments,
            environment: environment,
            logPath: directory.appending("output.log")
        )
        let status = await child.waitForExit(timeout: timeout) ?? -1
        return (status, child.log)
    }
}
