import NIOCore
import NIOEmbedded
import Testing
import WireProtocol

@Suite("FrameEncoder and FrameHeader")
struct FrameEncoderTests {
    @Test func writesLengthHeaderAndPayload() throws {
        let channel = EmbeddedChannel(handler: FrameEncoder())
        let frame = Frame(header: FrameHeader(kind: .response, code: 0, correlationID: 3), payload: ByteBuffer(string: "abc"))
        try channel.writeOutbound(frame)
        var written = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { written.writeBuffer(&part) }
        #expect(written == frame.encoded())
        #expect(written.getInteger(at: 0, as: UInt32.self) == UInt32(FrameHeader.fixedSize + 3))
        #expect(try channel.finish().isClean)
    }

    @Test func theLengthFieldCountsTheHeaderAsCleanedAndSent() throws {
        let channel = EmbeddedChannel(handler: FrameEncoder())
        let header = FrameHeader(
            kind: .request,
            code: 1,
            correlationID: 4,
            requestID: "with space " + String(repeating: "x", count: 100),
            traceContext: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        )
        let frame = Frame(header: header, payload: ByteBuffer(string: "payload"))
        try channel.writeOutbound(frame)
        var written = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { written.writeBuffer(&part) }
        #expect(written.getInteger(at: 0, as: UInt32.self).map(Int.init) == written.readableBytes - 4)
        #expect(written.readableBytes - 4 == frame.bodyLength)
        #expect(written == frame.encoded())
        _ = written.readInteger(as: UInt32.self)
        let sent = try FrameHeader.read(from: &written)
        #expect(sent.requestID == "withspace" + String(repeating: "x", count: 55))
        #expect(sent.traceContext == header.traceContext)
        #expect(String(buffer: written) == "payload")
        #expect(try channel.finish().isClean)
    }

    @Test func frameOverTheMaximumFailsTheWriteInsteadOfSending() throws {
        let channel = EmbeddedChannel(handler: FrameEncoder(maximumFrameLength: 64))
        let frame = Frame(header: FrameHeader(kind: .request, code: 1, correlationID: 1), payload: ByteBuffer(repeating: 1, count: 100))
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(frame, promise: promise)
        #expect(throws: WireError.frameTooLarge(announced: 100 + FrameHeader.fixedSize, limit: 64)) {
            try promise.futureResult.wait()
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }

    @Test(arguments: [
        ("abc-123", "abc-123"),
        ("with space\nand newline", "withspaceandnewline"),
        (String(repeating: "a", count: 100), String(repeating: "a", count: 64)),
        (String(repeating: "b", count: 64), String(repeating: "b", count: 64)),
        (String(repeating: "c", count: 65), String(repeating: "c", count: 64)),
        ("", ""),
        ("ünïcödé", "ncd"),
    ])
    func requestIDsAreMadeLogSafe(offered: String, sent: String) throws {
        var buffer = ByteBuffer()
        FrameHeader(kind: .request, code: 1, correlationID: 1, requestID: offered).write(to: &buffer)
        let header = try FrameHeader.read(from: &buffer)
        #expect(header.requestID == sent)
    }
}
