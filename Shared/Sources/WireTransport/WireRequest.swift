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
    /// The server's logger, without the request's metadata.
    public var baseLogger: Logger

    /// A logger carrying `request_id`, `trace_id` and `operation`, made when asked for: most requests log
    /// nothing, and metadata costs an allocation.
    public var logger: Logger {
        var logger = self.baseLogger
        logger[metadataKey: "operation"] = "\(self.operation)"
        if !self.header.requestID.isEmpty {
            logger[metadataKey: "request_id"] = "\(self.header.requestID)"
        }
        if let traceID = TraceParent.traceID(of: self.header.traceContext) {
            logger[metadataKey: "trace_id"] = "\(traceID)"
        }
        return logger
    }

    /// Logs at debug level; the request's metadata is only made when debug logging is on.
    public func debug(_ message: @autoclosure () -> Logger.Message, metadata: @autoclosure () -> Logger.Metadata? = nil) {
        guard self.baseLogger.logLevel <= .debug else { return }
        self.logger.debug(message(), metadata: metadata())
    }

    /// - Parameter logger: the server's logger; the request's metadata is added by ``logger``.
    public init(header: FrameHeader, payload: ByteBuffer, deadline: NIODeadline, logger: Logger) {
        self.header = header
        self.payload = payload
        self.deadline = deadline
        self.baseLogger = logger
    }

    /// Throws ``WireError/deadlineExceeded`` when the caller has already given up.
    ///
    /// Call it before expensive work that waited in a queue (a pool, a lock).
    public func checkDeadline() throws(WireError) {
        if NIODeadline.now() >= self.deadline { throw .deadlineExceeded }
    }
}
