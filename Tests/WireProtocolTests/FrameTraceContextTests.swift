import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
import WireProtocol

/// The trace context in a frame header: version 2 when there is one, version 1 otherwise, and
/// both read.
@Suite("Frame trace context")
struct FrameTraceContextTests {
    static let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

    static func decode(_ bytes: ByteBuffer) throws -> Frame? {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
        try channel.writeInbound(bytes)
        return try channel.readInbound(as: Frame.self)
    }

    static func frame(traceContext: String) -> Frame {
        Frame(
            header: FrameHeader(
                kind: .request,
                code: 102,
                correlationID: 9,
                deadlineMilliseconds: 500,
                requestID: "req-9",
                traceContext: traceContext
            ),
            payload: ByteBuffer(string: "payload")
        )
    }

    @Test func aTraceContextTravelsInAVersionTwoHeader() throws {
        let sent = Self.frame(traceContext: Self.traceparent)
        let bytes = sent.encoded()
        #expect(bytes.getInteger(at: 4, as: UInt8.self) == FrameHeader.traceContextVersion)
        #expect(bytes.readableBytes == 4 + sent.bodyLength)
        let received = try #require(try Self.decode(bytes))
        #expect(received.header.traceContext == Self.traceparent)
        #expect(received.header.requestID == "req-9")
        #expect(received.header.correlationID == 9)
        #expect(received.payload == ByteBuffer(string: "payload"))
    }

    @Test func withoutOneTheHeaderStaysVersionOne() throws {
        let bytes = Self.frame(traceContext: "").encoded()
        #expect(bytes.getInteger(at: 4, as: UInt8.self) == FrameHeader.currentVersion)
        let received = try #require(try Self.decode(bytes))
        #expect(received.header.traceContext.isEmpty)
        #expect(received.header.requestID == "req-9")
    }

    @Test func aTraceContextThatIsNotPrintableOrTooLongIsNotSent() throws {
        for bad in ["00-abc\u{7}-01", String(repeating: "a", count: FrameHeader.maximumTraceContextLength + 1)] {
            let bytes = Self.frame(traceContext: bad).encoded()
            #expect(bytes.getInteger(at: 4, as: UInt8.self) == FrameHeader.currentVersion)
            #expect(try Self.decode(bytes)?.header.traceContext == "")
        }
    }

    @Test func aVersionTwoHeaderWithABadTraceContextIsMalformed() throws {
        // version 2, request, code 1, id 1, deadline 0, no request id, then a trace context
        // announced longer than the limit.
        var bytes = ByteBuffer()
        bytes.writeInteger(UInt32(14))
        bytes.writeMultipleIntegers(FrameHeader.traceContextVersion, UInt8(0), UInt16(1), UInt32(1), UInt32(0), UInt8(0), UInt8(200))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
        #expect(throws: WireError.self) { try channel.writeInbound(bytes) }
        // Cut short: the announced trace context is missing.
        var short = ByteBuffer()
        short.writeInteger(UInt32(16))
        short.writeMultipleIntegers(FrameHeader.traceContextVersion, UInt8(0), UInt16(1), UInt32(1), UInt32(0), UInt8(0), UInt8(55), UInt16(0))
        let second = EmbeddedChannel()
        try second.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder()))
        #expect(throws: WireError.self) { try second.writeInbound(short) }
    }
}
