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
        let (head, bodyLength) = frame.lengthAndHeader(allocator: context.channel.allocator)
        guard bodyLength <= self.maximumFrameLength else {
            promise?.fail(WireError.frameTooLarge(announced: bodyLength, limit: self.maximumFrameLength))
            return
        }
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
        var (buffer, _) = self.lengthAndHeader(allocator: allocator)
        buffer.writeImmutableBuffer(self.payload)
        return buffer
    }

    /// The length field and the header, and the length it holds. The header is written once,
    /// behind a place for the length that is filled in after: its size depends on its request id
    /// and trace context, which are checked (and cleaned) as they are written.
    func lengthAndHeader(allocator: ByteBufferAllocator) -> (buffer: ByteBuffer, bodyLength: Int) {
        var buffer = allocator.buffer(capacity: 4 + FrameHeader.maximumEncodedSize)
        buffer.writeInteger(UInt32(0))
        self.header.write(to: &buffer)
        let bodyLength = buffer.readableBytes - 4 + self.payload.readableBytes
        buffer.setInteger(UInt32(truncatingIfNeeded: bodyLength), at: buffer.readerIndex)
        return (buffer, bodyLength)
    }
}
