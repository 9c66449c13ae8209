public import Logging
public import NIOCore
public import WireProtocol

/// A request as an operation handler sees it.
public struct WireRequest: Sendable {
    /// The operation asked for.
    public var operation: WireOperation { WireOperation(rawValue: self.header.code) }
    /// The frame header, with the correlation and request ids.
    public var header: FrameHeader
    /// The encoded protobuf request.
    public var payload: ByteBuffer
    /// When the caller stops waiting; work not started by then is dropped.
    public var deadline: NIODeadline
    /// A logger carrying `request_id` and `operation`.
    public var logger: Logger

    public init(header: FrameHeader, payload: ByteBuffer, deadline: NIODeadline, logger: Logger) {
        self.header = header
        self.payload = payload
        self.deadline = deadline
        self.logger = logger
    }

    /// Throws ``WireError/deadlineExceeded`` when the caller has already given up.
    ///
    /// Call it before expensive work that waited in a queue (a pool, a lock).
    public func checkDeadline() throws(WireError) {
        if NIODeadline.now() >= self.deadline { throw .deadlineExceeded }
    }
}
