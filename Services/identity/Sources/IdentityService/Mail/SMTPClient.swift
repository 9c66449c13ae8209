#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
public import NIOCore
import NIOExtras
public import NIOPosix
public import NIOSSL

/// Delivers one message to an SMTP server (RFC 5321): EHLO, STARTTLS (required unless the
/// endpoint says otherwise), AUTH PLAIN or LOGIN, MAIL, RCPT, DATA with dot-stuffing, QUIT.
///
/// Each step waits at most `stepTimeout` for the server's reply. What went wrong says whether
/// trying again later may help (``MailDeliveryError``): a 4xx reply, a refused, dropped or timed-out
/// connection is temporary; a 5xx reply, or a server that offers no STARTTLS or no way to log in,
/// is permanent.
///
/// ```swift
/// let client = SMTPClient(server: server)
/// try await client.send(message, envelopeFrom: "no-reply@example.com", recipient: "ada@example.com")
/// ```
public struct SMTPClient: MailTransport {
    public let server: MailEndpoint.SMTPServer
    let group: any EventLoopGroup
    let trustRoots: NIOSSLTrustRoots
    let stepTimeout: TimeAmount
    /// The longest a whole delivery may take (shorter than the outbox's lease).
    let deliveryTimeout: TimeAmount
    /// The name given in EHLO.
    let clientName: String

    public init(
        server: MailEndpoint.SMTPServer,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        trustRoots: NIOSSLTrustRoots = .default,
        stepTimeout: TimeAmount = .seconds(30),
        deliveryTimeout: TimeAmount = .seconds(120),
        clientName: String = "localhost"
    ) {
        self.server = server
        self.group = group
        self.trustRoots = trustRoots
        self.stepTimeout = stepTimeout
        self.deliveryTimeout = deliveryTimeout
        self.clientName = clientName
    }

    /// Sends `message` from `envelopeFrom` to `recipient` (the envelope; the headers are the
    /// message's own).
    public func send(_ message: MailMessage, envelopeFrom: String, recipient: String) async throws(MailDeliveryError) {
        try await self.deliver(message.rendered(), from: envelopeFrom, to: recipient)
    }

    /// ``MailTransport``: a rendered message.
    public func deliver(_ message: [UInt8], from envelopeFrom: String, to recipient: String) async throws(MailDeliveryError) {
        for address in [envelopeFrom, recipient] where !Self.isEnvelopeAddress(address) {
            throw .permanent("not an address for the envelope")
        }
        do {
            // A whole delivery ends by its deadline, however slowly a server trickles its replies.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.converse(message, from: envelopeFrom, to: recipient) }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(self.deliveryTimeout.nanoseconds))
                    throw MailDeliveryError.temporary("the delivery took longer than \(self.deliveryTimeout.nanoseconds / 1_000_000_000) s")
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let error as MailDeliveryError {
            throw error
        } catch {
            // Refused, reset or timed-out connections, TLS that did not come up: try later.
            throw .temporary("connection: \(error)")
        }
    }

    private func converse(_ message: [UInt8], from: String, to: String) async throws {
        let server = self.server
        let tls = try NIOSSLContext(configuration: self.tlsConfiguration())
        let timeout = self.stepTimeout
        // SNI and the name check take a host name; an address is checked against the certificate's
        // IP addresses instead.
        let serverHostname = Self.isAddressLiteral(server.host) ? nil : server.host
        // Before STARTTLS, every clear-text reply must answer a command just sent (see the guard).
        let guardHandler = PlaintextReplyGuard(strict: server.security == .startTLS)
        let channel = try await ClientBootstrap(group: self.group)
            .connectTimeout(timeout)
            .connect(host: server.host, port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if server.security == .implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(guardHandler)
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                    try channel.pipeline.syncOperations.addHandler(SilentServerCloser())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: 64 * 1024))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var conversation = Conversation(lines: inbound.makeAsyncIterator(), outbound: outbound)
            try await conversation.expect(220)
            var capabilities = try await conversation.command("EHLO \(self.clientName)", expecting: 250)
            if server.security == .startTLS {
                // Missing STARTTLS may be a middlebox stripping it: no mail in clear, and try later.
                guard capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    throw MailDeliveryError.temporary("the server offers no STARTTLS, and plain text was not allowed")
                }
                // Nothing may follow a clear-text reply before the next command: a line injected
                // behind one would otherwise be read as an answer from inside TLS.
                let eventLoop = channel.channel.eventLoop
                _ = try await conversation.command("STARTTLS", expecting: 220)
                try await eventLoop.submit {
                    try guardHandler.passTLS()
                    try channel.channel.pipeline.syncOperations.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: serverHostname),
                        position: .first
                    )
                }.get()
                capabilities = try await conversation.command("EHLO \(self.clientName)", expecting: 250)
            }
            if let credentials = server.credentials {
                let methods = Set(
                    capabilities.filter { $0.uppercased().hasPrefix("AUTH ") }.flatMap { $0.uppercased().split(separator: " ").dropFirst() }
                )
                if methods.contains("PLAIN") {
                    let token = Data(([0] + Array(credentials.user.utf8) + [0] + Array(credentials.password.utf8))).base64EncodedString()
                    _ = try await conversation.command("AUTH PLAIN \(token)", expecting: 235, shown: "AUTH PLAIN ***")
                } else if methods.contains("LOGIN") {
                    _ = try await conversation.command("AUTH LOGIN", expecting: 334)
                    _ = try await conversation.command(Data(credentials.user.utf8).base64EncodedString(), expecting: 334, shown: "(user)")
                    _ = try await conversation.command(Data(credentials.password.utf8).base64EncodedString(), expecting: 235, shown: "(password)")
                } else {
                    throw MailDeliveryError.permanent("the server offers neither AUTH PLAIN nor AUTH LOGIN")
                }
            }
            _ = try await conversation.command("MAIL FROM:<\(from)>", expecting: 250, shown: "MAIL FROM")
            _ = try await conversation.command("RCPT TO:<\(to)>", expecting: 250...251, shown: "RCPT TO")
            _ = try await conversation.command("DATA", expecting: 354)
            try await outbound.write(ByteBuffer(bytes: Self.dotStuffed(message) + Array(".\r\n".utf8)))
            try await conversation.expect(250)
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
        }
    }

    private func tlsConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = self.trustRoots
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// A message's lines with a dot added before each that starts with one (RFC 5321 4.5.2), so
    /// no line of it can end the DATA.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 16)
        var atLineStart = true
        for byte in message {
            if atLineStart && byte == UInt8(ascii: ".") { output.append(UInt8(ascii: ".")) }
            output.append(byte)
            atLineStart = byte == 10
        }
        if output.last != 10 { output += [13, 10] }
        return output
    }

    /// An IPv4 or IPv6 address rather than a host name.
    static func isAddressLiteral(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// A server's reply text as an error may carry it: addresses (`…@…`) replaced, so none
    /// reaches a log line.
    static func withoutAddresses(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { $0.contains("@") ? "(address)" : String($0) }
            .joined(separator: " ")
    }

    /// Lines one reply may have: a server sending more is not one we talk to.
    static let maximumReplyLines = 100

    /// An address as MAIL FROM and RCPT TO carry it: no brackets, spaces or control characters.
    static func isEnvelopeAddress(_ address: String) -> Bool {
        !address.isEmpty && address.utf8.count <= 254 && address.contains("@")
            && address.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && $0 != "<" && $0 != ">" }
    }

    /// One SMTP conversation: commands out, replies in.
    struct Conversation {
        var lines: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        /// Sends `line`; the reply's lines (without their codes) when its code is expected.
        /// `shown` stands for the command in an error (AUTH's carry the credentials).
        mutating func command(_ line: String, expecting codes: ClosedRange<Int>, shown: String? = nil) async throws -> [String] {
            try await self.outbound.write(ByteBuffer(string: line + "\r\n"))
            return try await self.expect(codes, after: shown ?? String(line.prefix(64)))
        }

        mutating func command(_ line: String, expecting code: Int, shown: String? = nil) async throws -> [String] {
            try await self.command(line, expecting: code...code, shown: shown)
        }

        @discardableResult
        mutating func expect(_ code: Int) async throws -> [String] {
            try await self.expect(code...code, after: "connecting")
        }

        /// Reads one reply (its `NNN-` lines up to the `NNN ` one).
        mutating func expect(_ codes: ClosedRange<Int>, after step: String) async throws -> [String] {
            var texts: [String] = []
            while true {
                guard let buffer = try await self.lines.next() else {
                    throw MailDeliveryError.temporary("the server closed the connection after \(step)")
                }
                let line = String(buffer: buffer)
                let bytes = Array(line.utf8)
                guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)) else {
                    throw MailDeliveryError.temporary("not an SMTP reply after \(step)")
                }
                texts.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
                guard texts.count <= SMTPClient.maximumReplyLines else {
                    throw MailDeliveryError.temporary("a reply of more than \(SMTPClient.maximumReplyLines) lines after \(step)")
                }
                if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") { continue }
                guard codes.contains(code) else {
                    let reason = "\(code) \(SMTPClient.withoutAddresses(texts.last ?? "")) after \(step)"
                    throw code >= 500 ? MailDeliveryError.permanent(reason) : MailDeliveryError.temporary(reason)
                }
                return texts
            }
        }
    }
}

/// Keeps the clear-text part of a STARTTLS conversation in lock step: each reply must answer
/// the command just written (the greeting, the connection), and a byte arriving after a reply
/// has ended, before the next command, closes the connection. A man in the middle may queue
/// forged replies behind any clear-text reply, which would otherwise be read as the server's
/// answers from inside TLS (the STARTTLS injection of CVE-2011-0411). Once TLS is in front it
/// passes everything. Lives on the channel's event loop.
final class PlaintextReplyGuard: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case passing
        case awaitingReply
        case replyEnded
        /// Bytes came out of turn: the connection is closed, TLS never comes.
        case refused
    }

    private var state: State
    /// The start of the line being read (a line may come in pieces).
    private var lineStart: [UInt8] = []

    /// `strict`: a STARTTLS conversation, in lock step from the greeting on; else it passes all.
    init(strict: Bool) {
        self.state = strict ? .awaitingReply : .passing
    }

    /// TLS is being added in front: what it decrypts passes. Throws unless a reply has just ended.
    func passTLS() throws {
        guard self.state == .replyEnded, self.lineStart.isEmpty else {
            throw MailDeliveryError.temporary("clear-text reply out of step with STARTTLS")
        }
        self.state = .passing
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A command: its reply may come.
        if self.state == .replyEnded { self.state = .awaitingReply }
        context.write(data, promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.state != .passing else {
            context.fireChannelRead(data)
            return
        }
        let buffer = self.unwrapInboundIn(data)
        let bytes = Array(buffer.readableBytesView)
        var index = 0
        while index < bytes.count {
            guard self.state == .awaitingReply else {
                self.state = .refused
                context.fireErrorCaught(MailDeliveryError.temporary("bytes in clear text out of turn"))
                context.close(promise: nil)
                return
            }
            guard let newline = bytes[index...].firstIndex(of: 10) else {
                self.lineStart += bytes[index...]
                break
            }
            let line = self.lineStart + bytes[index...newline]
            self.lineStart = []
            // `NNN-text` continues the reply; `NNN text` (or a bare code) ends it.
            if !(line.count > 3 && line[3] == UInt8(ascii: "-")) { self.state = .replyEnded }
            index = newline + 1
        }
        context.fireChannelRead(data)
    }
}

/// Closes a connection whose server has said nothing for a step's time (IdleStateHandler's
/// read timeout), so the waiting step ends.
private final class SilentServerCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case IdleStateHandler.IdleStateEvent.read = event {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
