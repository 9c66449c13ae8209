import Foundation
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing
import WireTesting

@testable import IdentityService

/// The SMTP client against a real SMTP server (aiosmtpd, `Tests/Support/smtp_server.py`) with
/// STARTTLS and AUTH, and servers that answer 451, 550, or nothing at all.
@Suite("SMTP client against aiosmtpd")
struct SMTPClientTests {
    static func message(_ subject: String = "Your code", text: String = "Your code is 12345678.") throws -> MailMessage {
        try MailMessage(
            from: "Auth <no-reply@example.com>",
            to: "ada@example.com",
            subject: subject,
            text: text,
            html: "<p>\(text)</p>",
            date: 1_765_123_456,
            messageID: "<\(UUID().uuidString)@example.com>"
        )
    }

    static func client(_ port: Int, security: MailEndpoint.Security, credentials: MailEndpoint.Credentials?, trusting certificate: String?)
        throws -> SMTPClient
    {
        let trust: NIOSSLTrustRoots = try certificate.map { .certificates(try NIOSSLCertificate.fromPEMFile($0)) } ?? .default
        return SMTPClient(
            server: .init(host: "localhost", port: port, security: security, credentials: credentials),
            trustRoots: trust,
            stepTimeout: .seconds(5)
        )
    }

    @Test(arguments: ["PLAIN", "LOGIN"])
    func aMessageGoesThroughSTARTTLSAndAUTH(mechanism: String) async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let (certificate, key) = try await SMTPTestServer.certificate(in: directory)
        let server = try await SMTPTestServer(
            ["--tls", certificate, key, "--auth", "courier", "s3cret:pw", "--auth-mechanisms", mechanism],
            in: directory
        )

        let client = try Self.client(
            server.port,
            security: .startTLS,
            credentials: .init(user: "courier", password: "s3cret:pw"),
            trusting: certificate
        )
        let text = "Your code is 12345678.\n.A line that starts with a dot\n."
        try await client.send(try Self.message(text: text), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")

        let messages = server.messages
        #expect(messages.count == 1)
        #expect(server.envelope(1)["tls"] as? Bool == true, "delivered inside TLS")
        #expect(server.envelope(1)["from"] as? String == "no-reply@example.com")
        #expect(server.envelope(1)["to"] as? [String] == ["ada@example.com"])
        let received = try #require(messages.first)
        #expect(received.contains("Subject: Your code"))
        #expect(received.contains("\r\n.A line that starts with a dot\r\n"), "dot-stuffing undone by the server: the line arrives as written")

        // A wrong password: refused for good (535).
        let wrong = try Self.client(server.port, security: .startTLS, credentials: .init(user: "courier", password: "nope"), trusting: certificate)
        await #expect {
            try await wrong.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            guard case .permanent(let reason) = error as? MailDeliveryError else { return false }
            let token = Data("\u{0}courier\u{0}nope".utf8).base64EncodedString()
            return reason.hasPrefix("535") && !reason.contains("nope") && !reason.contains(token)
        }
        // A certificate nobody vouches for: not delivered, and worth trying again later.
        let untrusting = try Self.client(server.port, security: .startTLS, credentials: .init(user: "courier", password: "s3cret:pw"), trusting: nil)
        await #expect {
            try await untrusting.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            if case .temporary = error as? MailDeliveryError { return true } else { return false }
        }
        #expect(server.messages.count == 1)
        await server.stop()
    }

    /// A scripted server (Python, raw sockets) on a free port: `script` gets the accepted socket
    /// as `c` and a line reader `line()`.
    static func scripted(_ script: String, in directory: TemporaryDirectory) async throws -> (ChildProcess, Int) {
        let port = freeLoopbackPort()
        let program = """
            import socket, time
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(('127.0.0.1', \(port)))
            s.listen()
            print('ready', flush=True)
            c, _ = s.accept()
            f = c.makefile('rb')
            def line():
                return f.readline()
            \(script)
            time.sleep(5)
            """
        let process = try ChildProcess(
            name: "scripted",
            executable: "/usr/bin/python3",
            arguments: ["-c", program],
            environment: ["PATH": "/usr/bin:/bin"],
            logPath: directory.appending("scripted-\(port).log")
        )
        try await waitUntil("the scripted server is up", within: .seconds(10), interval: .milliseconds(50)) { process.log.contains("ready") }
        return (process, port)
    }

    /// A man in the middle appends forged replies to the STARTTLS 220 in the same segment, one for
    /// each command still to come: read as the server's answers from inside TLS, they would make
    /// an undelivered message look sent.
    @Test func repliesInjectedAfterTheSTARTTLSReplyAreRefused() async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let (server, port) = try await Self.scripted(
            """
            c.sendall(b'220 mail.example.com ESMTP\\r\\n'); line()
            c.sendall(b'250-mail.example.com\\r\\n250 STARTTLS\\r\\n'); line()
            c.sendall(b'220 go ahead\\r\\n250 forged EHLO\\r\\n250 ok\\r\\n250 ok\\r\\n354 go\\r\\n250 sent\\r\\n')
            """,
            in: directory
        )
        defer { kill(server.process.processIdentifier, SIGKILL) }
        let client = SMTPClient(server: .init(host: "localhost", port: port, security: .startTLS, credentials: nil), stepTimeout: .seconds(3))
        await #expect {
            try await client.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            if case .temporary = error as? MailDeliveryError { return true } else { return false }
        }
    }

    /// The guard itself, byte by byte: each reply (in pieces, or over several lines) answers the
    /// command before it; any byte after a reply ends and before the next command closes the
    /// connection without reaching the reader, the greeting's and EHLO's included.
    @Test func theGuardKeepsClearTextRepliesInStepWithCommands() throws {
        let guardHandler = PlaintextReplyGuard(strict: true)
        let channel = EmbeddedChannel(handler: guardHandler)
        try channel.writeInbound(ByteBuffer(string: "220 mail.example.com ESMTP\r\n"))
        try channel.writeOutbound(ByteBuffer(string: "EHLO localhost\r\n"))
        try channel.writeInbound(ByteBuffer(string: "250-mail.example.com\r\n250 STA"))
        try channel.writeInbound(ByteBuffer(string: "RTTLS\r\n"))
        try channel.writeOutbound(ByteBuffer(string: "STARTTLS\r\n"))
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n"))
        #expect(try channel.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "220 mail.example.com ESMTP\r\n")
        try guardHandler.passTLS()

        // Forged lines queued behind the EHLO reply, before STARTTLS was even sent.
        let early = PlaintextReplyGuard(strict: true)
        let earlyChannel = EmbeddedChannel(handler: early)
        try earlyChannel.writeInbound(ByteBuffer(string: "220 mail.example.com ESMTP\r\n"))
        try earlyChannel.writeOutbound(ByteBuffer(string: "EHLO localhost\r\n"))
        #expect(throws: MailDeliveryError.temporary("bytes in clear text out of turn")) {
            try earlyChannel.writeInbound(ByteBuffer(string: "250 STARTTLS\r\n220 go ahead\r\n250 AUTH PLAIN\r\n"))
        }
        #expect(!earlyChannel.isActive, "the connection is closed")
        #expect(throws: MailDeliveryError.self) { try early.passTLS() }

        // Forged lines behind the STARTTLS reply itself.
        let late = PlaintextReplyGuard(strict: true)
        let lateChannel = EmbeddedChannel(handler: late)
        try lateChannel.writeInbound(ByteBuffer(string: "220 mail.example.com ESMTP\r\n"))
        try lateChannel.writeOutbound(ByteBuffer(string: "STARTTLS\r\n"))
        #expect(throws: MailDeliveryError.temporary("bytes in clear text out of turn")) {
            try lateChannel.writeInbound(ByteBuffer(string: "220 go ahead\r\n250 forged\r\n"))
        }

        // Without STARTTLS nothing is held back.
        let open = EmbeddedChannel(handler: PlaintextReplyGuard(strict: false))
        try open.writeInbound(ByteBuffer(string: "220 hello\r\n250 unasked\r\n"))
        #expect(try open.readInbound(as: ByteBuffer.self) != nil)
    }

    /// A server that keeps a reply going, slowly or with too many lines, cannot hold a delivery.
    @Test func aTricklingOrEndlessReplyEndsTheDelivery() async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let (trickling, tricklingPort) = try await Self.scripted(
            """
            c.sendall(b'220 mail.example.com ESMTP\\r\\n'); line()
            for _ in range(100000):
                c.sendall(b'250-still here\\r\\n'); time.sleep(0.2)
            """,
            in: directory
        )
        defer { kill(trickling.process.processIdentifier, SIGKILL) }
        let slow = SMTPClient(
            server: .init(host: "127.0.0.1", port: tricklingPort, security: .none, credentials: nil),
            stepTimeout: .seconds(1),
            deliveryTimeout: .seconds(2)
        )
        let started = ContinuousClock.now
        await #expect {
            try await slow.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            if case .temporary = error as? MailDeliveryError { return true } else { return false }
        }
        // A bound a loaded machine keeps (the deadline is 2 s), not a speed measurement.
        #expect(ContinuousClock.now - started < .seconds(15))

        let (endless, endlessPort) = try await Self.scripted(
            """
            c.sendall(b'220 mail.example.com ESMTP\\r\\n'); line()
            c.sendall(b'250-x\\r\\n' * 150 + b'250 ok\\r\\n')
            """,
            in: directory
        )
        defer { kill(endless.process.processIdentifier, SIGKILL) }
        let flooded = SMTPClient(server: .init(host: "127.0.0.1", port: endlessPort, security: .none, credentials: nil), stepTimeout: .seconds(3))
        await #expect(throws: MailDeliveryError.temporary("a reply of more than 100 lines after EHLO localhost")) {
            try await flooded.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        }
    }

    @Test func noSTARTTLSNoMailUnlessPlainTextWasChosen() async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let server = try await SMTPTestServer([], in: directory)
        let required = try Self.client(server.port, security: .startTLS, credentials: nil, trusting: nil)
        await #expect(throws: MailDeliveryError.temporary("the server offers no STARTTLS, and plain text was not allowed")) {
            try await required.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        }
        #expect(server.messages.isEmpty)
        let plain = try Self.client(server.port, security: .none, credentials: nil, trusting: nil)
        try await plain.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        #expect(server.messages.count == 1)
        #expect(server.envelope(1)["tls"] as? Bool == false)
        await server.stop()
    }

    @Test func a451IsTemporaryAndTheNextTryIsDelivered() async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let server = try await SMTPTestServer(["--fail-first", "451"], in: directory)
        let client = try Self.client(server.port, security: .none, credentials: nil, trusting: nil)
        await #expect {
            try await client.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            guard case .temporary(let reason) = error as? MailDeliveryError else { return false }
            return reason.hasPrefix("451")
        }
        try await client.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        #expect(server.messages.count == 1)
        await server.stop()
    }

    @Test func a550IsPermanent() async throws {
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let server = try await SMTPTestServer(["--reject", "550"], in: directory)
        let client = try Self.client(server.port, security: .none, credentials: nil, trusting: nil)
        await #expect {
            try await client.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "nobody@example.com")
        } throws: { error in
            guard case .permanent(let reason) = error as? MailDeliveryError else { return false }
            return reason.hasPrefix("550")
        }
        #expect(server.messages.isEmpty)
        await server.stop()
    }

    @Test func aServerThatIsDownOrSilentIsTemporary() async throws {
        let down = try Self.client(freeLoopbackPort(), security: .none, credentials: nil, trusting: nil)
        await #expect {
            try await down.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            if case .temporary = error as? MailDeliveryError { return true } else { return false }
        }
        // A listener that accepts and says nothing: the greeting's step times out.
        let directory = TemporaryDirectory(prefix: "smtp")
        defer { directory.remove() }
        let port = freeLoopbackPort()
        let silent = try ChildProcess(
            name: "silent",
            executable: "/usr/bin/python3",
            arguments: [
                "-c",
                "import socket,time\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(('127.0.0.1',\(port)))\ns.listen()\nprint('ready',flush=True)\nc,_=s.accept()\ntime.sleep(30)",
            ],
            environment: ["PATH": "/usr/bin:/bin"],
            logPath: directory.appending("silent.log")
        )
        defer { kill(silent.process.processIdentifier, SIGTERM) }
        try await waitUntil("the silent listener is up", within: .seconds(10), interval: .milliseconds(50)) { silent.log.contains("ready") }
        let client = SMTPClient(server: .init(host: "127.0.0.1", port: port, security: .none, credentials: nil), stepTimeout: .milliseconds(500))
        let started = ContinuousClock.now
        await #expect {
            try await client.send(try Self.message(), envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
        } throws: { error in
            if case .temporary = error as? MailDeliveryError { return true } else { return false }
        }
        #expect(ContinuousClock.now - started < .seconds(15), "the step's timeout ended the wait (a bound a loaded machine keeps)")
    }

    @Test func dotStuffingDoublesALeadingDot() {
        #expect(SMTPClient.dotStuffed(Array(".a\r\nb\r\n.\r\n".utf8)) == Array("..a\r\nb\r\n..\r\n".utf8))
        #expect(SMTPClient.dotStuffed(Array("no end".utf8)) == Array("no end\r\n".utf8))
        #expect(!SMTPClient.isEnvelopeAddress("a@b>\r\nRCPT TO:<c@d"))
        #expect(SMTPClient.isEnvelopeAddress("ada@example.com"))
    }
}
