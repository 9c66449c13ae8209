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
    /// The name given in EHLO.
    let clientName: String

    public init(
        server: MailEndpoint.SMTPServer,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        trustRoots: NIOSSLTrustRoots = .default,
        stepTimeout: TimeAmount = .seconds(30),
        clientName: String = "localhost"
    ) {
        self.server = server
        self.group = group
        self.trustRoots = trustRoots
        self.stepTimeout = stepTimeout
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
            try await self.converse(message, from: envelopeFrom, to: recipient)
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
        let channel = try await ClientBootstrap(group: self.group)
            .connectTimeout(timeout)
            .connect(host: server.host, port: server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if server.security == .implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: server.host))
                    }
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
                guard capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                    throw MailDeliveryError.permanent("the server offers no STARTTLS, and plain text was not allowed")
                }
                _ = try await conversation.command("STARTTLS", expecting: 220)
                try await channel.channel.pipeline.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: server.host), position: .first)
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
            _ = try await conversation.command("MAIL FROM:<\(from)>", expecting: 250)
            _ = try await conversation.command("RCPT TO:<\(to)>", expecting: 250...251)
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
                if bytes.count > 3 && bytes[3] == UInt8(ascii: "-") { continue }
                guard codes.contains(code) else {
                    let reason = "\(code) \(texts.last ?? "") after \(step)"
                    throw code >= 500 ? MailDeliveryError.permanent(reason) : MailDeliveryError.temporary(reason)
                }
                return texts
            }
        }
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
