import Foundation

/// Runs a helper program (python, openssl, runuser) for a test without blocking a thread of the
/// cooperative pool: the exit is polled with `Task.sleep`, so other tests keep running while it
/// works (a blocking wait would hold one of the two threads the whole suite shares).
public enum TestProcess {
    /// Runs `executable` with `arguments` to its end (killed after `timeout`): its exit status
    /// and everything it printed.
    public static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (
        status: Int32, output: String
    ) {
        let directory = TemporaryDirectory(prefix: "process")
        defer { directory.remove() }
        let outputPath = directory.appending("output")
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline { process.terminate() }
            try await Task.sleep(for: .milliseconds(10))
        }
        try? output.close()
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return (process.terminationStatus, text)
    }
}
