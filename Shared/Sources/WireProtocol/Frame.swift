public import NIOCore

/// One message between processes: a ``FrameHeader`` and a protobuf payload.
public struct Frame: Sendable {
    public var header: FrameHeader
    /// The encoded protobuf message; empty for messages with no fields.
    public var payload: ByteBuffer

    public init(header: FrameHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }

    /// The value of the length field for this frame: header and payload, not the field itself.
    public var bodyLength: Int { self.header.encodedSize + self.payload.readableBytes }

    /// A response answering `request` with `status` (``WireStatus/ok`` for success).
    public static func response(to request: FrameHeader, status: WireStatus = .ok, payload: ByteBuffer) -> Frame {
        Frame(
            header: FrameHeader(
                kind: status == .ok ? .response : .error,
                code: status.rawValue,
                correlationID: request.correlationID,
                requestID: request.requestID
            ),
            payload: payload
        )
    }
}
