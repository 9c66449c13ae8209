public import NIOCore

/// Splits a byte stream into ``Frame``s: a 4-byte big-endian length, then that many bytes of
/// header and payload.
///
/// The shape of NIOExtras' `LengthFieldBasedFrameDecoder` (two states, slices without copying),
/// plus the one thing it lacks: the announced length is compared with ``maximumFrameLength`` the
/// moment its four bytes arrive, so a peer announcing 2 GiB is refused before any body is
/// buffered. Keep `ByteToMessageHandler(maximumBufferSize:)` as a second guard.
///
/// ```swift
/// try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrameLength: 1 << 20)))
/// ```
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// The default limit on a frame's length field: 1 MiB.
    public static let defaultMaximumFrameLength = 1 << 20

    private enum State {
        case waitingForLength
        case waitingForBody(length: Int)
    }

    /// The largest value of the length field accepted.
    public let maximumFrameLength: Int
    private var state: State = .waitingForLength

    public init(maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try self.nextFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try self.decode(context: context, buffer: &buffer) == .continue {}
        if case .waitingForBody(let length) = self.state {
            throw WireError.truncatedFrame(leftover: length - buffer.readableBytes)
        }
        if buffer.readableBytes > 0 {
            throw WireError.truncatedFrame(leftover: buffer.readableBytes)
        }
        return .needMoreData
    }

    /// Reads the next whole frame, or returns `nil` when more bytes are needed.
    ///
    /// Usable without a channel, which is how the fuzzer drives it.
    public mutating func nextFrame(from buffer: inout ByteBuffer) throws(WireError) -> Frame? {
        if case .waitingForLength = self.state {
            guard let announced = buffer.readInteger(as: UInt32.self) else { return nil }
            let length = Int(announced)
            guard length <= self.maximumFrameLength else {
                throw .frameTooLarge(announced: length, limit: self.maximumFrameLength)
            }
            guard length >= FrameHeader.fixedSize else { throw .frameTooShort(length: length) }
            self.state = .waitingForBody(length: length)
        }
        guard case .waitingForBody(let length) = self.state, var body = buffer.readSlice(length: length) else {
            return nil
        }
        self.state = .waitingForLength
        let header = try FrameHeader.read(from: &body)
        return Frame(header: header, payload: body)
    }
}
