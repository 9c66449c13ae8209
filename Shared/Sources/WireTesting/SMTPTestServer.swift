public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A real SMTP server for the mail tests: aiosmtpd (Debian's `python3-aiosmtpd`, installed by
/// `make test`) running `Tests/Support/smtp_server.py` on 127.0.0.1, its accepted messages
/// written into a folder. Options as that script takes them (`--tls CERT KEY`, `--auth USER
/// PASSWORD`, `--fail-first 451`, `--reject 550`, …).
public final class SMTPTestServer: Sendable {
    public let port: Int
    public let mailDirectory: String
    let process: ChildProcess

    public static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Tests/Support/smtp_server.py").path
    }

    /// Starts a server writing into `directory`/mail, on `port` (a free one when `nil`).
    public init(_ options: [String], in directory: TemporaryDirectory, port: Int? = nil) async throws {
        self.port = port ?? freeLoopbackPort()
        self.mailDirectory = directory.appending("mail")
        try FileManager.default.createDirectory(atPath: self.mailDirectory, withIntermediateDirectories: true)
        let process = try ChildProcess(
            name: "smtp",
            executable: "/usr/bin/python3",
            arguments: [Self.script, String(self.port), self.mailDirectory] + options,
            environment: ["PATH": "/usr/bin:/bin"],
            logPath: directory.appending("smtp-\(self.port).log")
        )
        self.process = process
        try await waitUntil("the SMTP server is ready", within: .seconds(20), interval: .milliseconds(50)) {
            guard process.process.isRunning else { throw SMTPTestServerEnded(log: process.log) }
            return process.log.contains("ready")
        }
    }

    /// The accepted messages, in order.
    public var messages: [String] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: self.mailDirectory)) ?? []).filter { $0.hasSuffix(".eml") }
        return names.sorted { (Int($0.dropLast(4)) ?? 0) < (Int($1.dropLast(4)) ?? 0) }.compactMap {
            try? String(contentsOfFile: self.mailDirectory + "/" + $0, encoding: .utf8)
        }
    }

    /// The envelope of the `number`th message: `from`, `to`, `tls`.
    public func envelope(_ number: Int) -> [String: Any] {
        let data = FileManager.default.contents(atPath: self.mailDirectory + "/\(number).json") ?? Data()
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    public func stop() async {
        _ = await self.process.stop()
    }

    deinit {
        // A test that ended early (a thrown error) leaves no server behind.
        if self.process.process.isRunning { kill(self.process.process.processIdentifier, SIGKILL) }
    }

    /// A self-signed certificate for `localhost` in `directory`: (certificate, key) paths.
    public static func certificate(in directory: TemporaryDirectory) async throws -> (String, String) {
        let made = try await ChildProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost", "-keyout", directory.appending("key.pem"), "-out", directory.appending("cert.pem"),
            ],
            environment: [:]
        )
        guard made.status == 0 else { throw SMTPTestServerEnded(log: made.output) }
        return (directory.appending("cert.pem"), directory.appending("key.pem"))
    }
}

/// The SMTP test server (or its certificate's making) ended; its output.
public struct SMTPTestServerEnded: Error, CustomStringConvertible {
    public var log: String
    public var description: String { "the SMTP test server ended: \(self.log.suffix(2000))" }
}
