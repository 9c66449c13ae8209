public import NIOCore

/// Writes ``Frame``s as a length field, the header and the payload.
///
/// Like NIOExtras' `LengthFieldPrepender`, the payload is written as it is, without copying, and
/// a frame over the limit fails its write promise instead of trapping, so we never send what the
/// peer's ``FrameDecoder`` would refuse.
public final class FrameEncoder: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    /// The largest length field written; the same default as ``FrameDecoder``.
    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength) {
        self.maximumFrameLength = maximumFrameLength
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = Self.unwrapOutboundIn(data)
        let bodyLength = frame.bodyLength
        guard bodyLength <= self.maximumFrameLength else {
            promise?.fail(WireError.frameTooLarge(announced: bodyLength, limit: self.maximumFrameLength))
            return
        }
        var head = context.channel.allocator.buffer(capacity: 4 + frame.header.encodedSize)
        head.writeInteger(UInt32(bodyLength))
        frame.header.write(to: &head)
        if frame.payload.readableBytes == 0 {
            context.write(Self.wrapOutboundOut(head), promise: promise)
        } else {
            context.write(Self.wrapOutboundOut(head), promise: nil)
            context.write(Self.wrapOutboundOut(frame.payload), promise: promise)
        }
    }
}

extension Frame {
    /// The frame's bytes in one buffer, as ``FrameEncoder`` writes them (for tests and benchmarks).
    public func encoded(allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 4 + self.bodyLength)
        buffer.writeInteger(UInt32(self.bodyLength))
        self.header.write(to: &buffer)
        buffer.writeImmutableBuffer(self.payload)
        return buffer
    }
}
