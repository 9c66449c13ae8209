import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
import WireTesting
import WireProtocol

@Suite("FrameDecoder")
struct FrameDecoderTests {
    static func frame(code: UInt16 = 1, id: UInt32 = 7, payload: String = "hello", requestID: String = "req-1") -> Frame {
        Frame(
            header: FrameHeader(kind: .request, code: code, correlationID: id, deadlineMilliseconds: 250, requestID: requestID),
            payload: ByteBuffer(string: payload)
        )
    }

    static func channel(maximum: Int = FrameDecoder.defaultMaximumFrameLength) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameLength: maximum)))
        return channel
    }

    @Test func decodesWhatTheEncoderWrites() throws {
        let channel = try Self.channel()
        let sent = Self.frame()
        try channel.writeInbound(sent.encoded())
        let received = try #require(try channel.readInbound(as: Frame.self))
        #expect(received.header == sent.header)
        #expect(received.payload == sent.payload)
        #expect(try channel.finish().isClean)
    }

    @Test func frameSplitAcrossManyReads() throws {
        let channel = try Self.channel()
        var bytes = Self.frame(payload: String(repeating: "x", count: 300)).encoded()
        while let byte = bytes.readSlice(length: 1) {
            #expect(try channel.readInbound(as: Frame.self) == nil)
            try channel.writeInbound(byte)
        }
        let received = try #require(try channel.readInbound(as: Frame.self))
        #expect(received.payload.readableBytes == 300)
        #expect(try channel.finish().isClean)
    }

    @Test func severalFramesInOneRead() throws {
        let channel = try Self.channel()
        var buffer = ByteBuffer()
        for id in 1...5 { buffer.writeImmutableBuffer(Self.frame(id: UInt32(id), payload: "p\(id)").encoded()) }
        try channel.writeInbound(buffer)
        for id in 1...5 {
            let frame = try #require(try channel.readInbound(as: Frame.self))
            #expect(frame.header.correlationID == UInt32(id))
            #expect(String(buffer: frame.payload) == "p\(id)")
        }
        #expect(try channel.finish().isClean)
    }

    @Test func lengthOverTheMaximumIsRefusedAfterOnlyFourBytes() throws {
        let channel = try Self.channel()
        var announce = ByteBuffer()
        announce.writeInteger(UInt32(FrameDecoder.defaultMaximumFrameLength + 1))
        #expect(throws: WireError.frameTooLarge(announced: (1 << 20) + 1, limit: 1 << 20)) {
            try channel.writeInbound(announce)
        }
        _ = try? channel.finish()
    }

    @Test func hostileLengthIsRefusedWithoutBuffering() throws {
        var decoder = FrameDecoder(maximumFrameLength: 1024)
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32.max)
        #expect(throws: WireError.frameTooLarge(announced: Int(UInt32.max), limit: 1024)) {
            _ = try decoder.nextFrame(from: &buffer)
        }
    }

    @Test func zeroLengthIsTooShort() throws {
        let channel = try Self.channel()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(0))
        #expect(throws: WireError.frameTooShort(length: 0)) { try channel.writeInbound(buffer) }
        _ = try? channel.finish()
    }

    @Test func garbageHeaderIsMalformed() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(FrameHeader.fixedSize))
        buffer.writeInteger(FrameHeader.currentVersion)
        buffer.writeInteger(UInt8(9))  // no such kind
        buffer.writeRepeatingByte(0, count: FrameHeader.fixedSize - 2)
        #expect(throws: WireError.malformedHeader("unknown kind 9")) { _ = try decoder.nextFrame(from: &buffer) }
    }

    @Test func requestIDLongerThanTheFrameIsMalformed() throws {
        var decoder = FrameDecoder()
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(FrameHeader.fixedSize))
        buffer.writeMultipleIntegers(FrameHeader.currentVersion, UInt8(0), UInt16(1), UInt32(1), UInt32(0), UInt8(40))
        #expect(throws: WireError.malformedHeader("request id cut short")) { _ = try decoder.nextFrame(from: &buffer) }
    }

    @Test func unknownVersionIsRefused() throws {
        var decoder = FrameDecoder()
        var frame = Self.frame()
        frame.header.version = 9
        var buffer = frame.encoded()
        #expect(throws: WireError.unsupportedVersion(9)) { _ = try decoder.nextFrame(from: &buffer) }
    }

    @Test func closeInsideAFrameIsReported() throws {
        let channel = try Self.channel()
        let bytes = Self.frame().encoded()
        try channel.writeInbound(try #require(bytes.getSlice(at: 0, length: 10)))
        #expect(throws: WireError.self) { try channel.finish() }
    }

    @Test func decoderVerifier() throws {
        let frames = (1...3).map { Self.frame(id: UInt32($0), payload: "payload \($0)") }
        var input = ByteBuffer()
        for frame in frames { input.writeImmutableBuffer(frame.encoded()) }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [(input, frames.map(EquatableFrame.init))],
            decoderFactory: { EquatableFrameDecoder() }
        )
    }

    @Test func randomBytesNeverCrashTheDecoder() throws {
        var generator = SeededRandomNumberGenerator.forTest("random bytes into the frame decoder")
        for _ in 0..<2000 {
            var decoder = FrameDecoder(maximumFrameLength: 4096)
            let count = Int.random(in: 0...64, using: &generator)
            var buffer = ByteBuffer(bytes: (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
            // Any outcome but a crash is fine: a frame, a request for more bytes, or a WireError.
            while (try? decoder.nextFrame(from: &buffer)) != nil {}
        }
    }
}

/// `Frame` compared by value, for the decoder verifier.
struct EquatableFrame: Equatable {
    var header: FrameHeader
    var payload: ByteBuffer
    init(_ frame: Frame) {
        self.header = frame.header
        self.payload = frame.payload
    }
}

struct EquatableFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = EquatableFrame
    var inner = FrameDecoder()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.inner.nextFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(EquatableFrame(frame)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
