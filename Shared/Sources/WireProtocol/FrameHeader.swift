public import NIOCore

/// What a frame is: a request, the response to one, or an error answering one.
public enum FrameKind: UInt8, Sendable, Hashable {
    case request = 0
    case response = 1
    case error = 2
}

/// The fixed binary header that follows a frame's length field.
///
/// Layout, all integers big-endian (see `docs/protocol.md`):
///
/// ```
/// u8 version | u8 kind | u16 code | u32 correlation id | u32 deadline ms | u8 n | n bytes request id
/// version 2 only:                                                          | u8 m | m bytes trace context
/// ```
///
/// `code` is a ``WireOperation`` in a request and a ``WireStatus`` in a response or an error.
/// A header with a trace context (a W3C `traceparent`) is written as version 2, any other as
/// version 1; readers take both, so backends are upgraded before the gateways that send them
/// version 2.
public struct FrameHeader: Sendable, Hashable {
    /// The version of a header without a trace context.
    public static let currentVersion: UInt8 = 1
    /// The version of a header with a trace context.
    public static let traceContextVersion: UInt8 = 2
    /// Bytes of the header before the request id.
    public static let fixedSize = 13
    /// The longest request id a header carries; longer ids are cut by the sender.
    public static let maximumRequestIDLength = 64
    /// The longest trace context a header carries (a `traceparent` is 55); longer ones are dropped by the sender.
    public static let maximumTraceContextLength = 128
    /// The most bytes a header takes: the fixed part, the longest request id, and the longest
    /// trace context with its length byte.
    public static let maximumEncodedSize = fixedSize + maximumRequestIDLength + 1 + maximumTraceContextLength

    public var version: UInt8
    public var kind: FrameKind
    public var code: UInt16
    public var correlationID: UInt32
    /// The caller's remaining budget when it sent the request, in milliseconds; 0 in answers.
    public var deadlineMilliseconds: UInt32
    /// The request id for logs, printable ASCII, at most ``maximumRequestIDLength`` bytes.
    public var requestID: String
    /// The caller's W3C trace context (`traceparent`), printable ASCII; empty for none.
    public var traceContext: String

    public init(
        version: UInt8 = FrameHeader.currentVersion,
        kind: FrameKind,
        code: UInt16,
        correlationID: UInt32,
        deadlineMilliseconds: UInt32 = 0,
        requestID: String = "",
        traceContext: String = ""
    ) {
        self.version = version
        self.kind = kind
        self.code = code
        self.correlationID = correlationID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.requestID = requestID
        self.traceContext = traceContext
    }

    /// The trace context as it is sent: printable ASCII within the limit, else none.
    private var sentTraceContext: String {
        let bytes = self.traceContext.utf8
        guard bytes.count <= Self.maximumTraceContextLength, bytes.allSatisfy(Self.isPrintableASCII) else { return "" }
        return self.traceContext
    }

    /// The number of bytes ``write(to:)`` produces.
    public var encodedSize: Int {
        let trace = self.sentTraceContext.utf8.count
        return Self.fixedSize + Self.sanitized(self.requestID).utf8.count + (trace > 0 ? 1 + trace : 0)
    }

    /// Writes the header; a request id that is too long or not printable ASCII is cleaned first,
    /// and such a trace context is left out.
    public func write(to buffer: inout ByteBuffer) {
        let id = Self.sanitized(self.requestID)
        let trace = self.sentTraceContext
        buffer.writeMultipleIntegers(
            trace.isEmpty ? self.version : max(self.version, Self.traceContextVersion),
            self.kind.rawValue,
            self.code,
            self.correlationID,
            self.deadlineMilliseconds,
            UInt8(id.utf8.count)
        )
        buffer.writeString(id)
        if !trace.isEmpty {
            buffer.writeInteger(UInt8(trace.utf8.count))
            buffer.writeString(trace)
        }
    }

    /// Reads a header from the front of a frame body.
    ///
    /// - Throws: ``WireError/unsupportedVersion(_:)`` or ``WireError/malformedHeader(_:)``.
    public static func read(from buffer: inout ByteBuffer) throws(WireError) -> FrameHeader {
        guard
            let (version, kindByte, code, correlationID, deadline, idLength) = buffer.readMultipleIntegers(
                as: (UInt8, UInt8, UInt16, UInt32, UInt32, UInt8).self
            )
        else {
            throw .malformedHeader("header shorter than \(Self.fixedSize) bytes")
        }
        guard version == Self.currentVersion || version == Self.traceContextVersion else { throw .unsupportedVersion(version) }
        guard let kind = FrameKind(rawValue: kindByte) else { throw .malformedHeader("unknown kind \(kindByte)") }
        guard Int(idLength) <= Self.maximumRequestIDLength else { throw .malformedHeader("request id too long") }
        guard let idBytes = buffer.readBytes(length: Int(idLength)) else {
            throw .malformedHeader("request id cut short")
        }
        guard idBytes.allSatisfy(Self.isPrintableASCII) else { throw .malformedHeader("request id not printable ASCII") }
        var traceContext = ""
        if version == Self.traceContextVersion {
            guard let traceLength = buffer.readInteger(as: UInt8.self) else { throw .malformedHeader("trace context length missing") }
            guard Int(traceLength) <= Self.maximumTraceContextLength else { throw .malformedHeader("trace context too long") }
            guard let traceBytes = buffer.readBytes(length: Int(traceLength)) else { throw .malformedHeader("trace context cut short") }
            guard traceBytes.allSatisfy(Self.isPrintableASCII) else { throw .malformedHeader("trace context not printable ASCII") }
            traceContext = String(decoding: traceBytes, as: UTF8.self)
        }
        return FrameHeader(
            version: version,
            kind: kind,
            code: code,
            correlationID: correlationID,
            deadlineMilliseconds: deadline,
            requestID: String(decoding: idBytes, as: UTF8.self),
            traceContext: traceContext
        )
    }

    static func isPrintableASCII(_ byte: UInt8) -> Bool { byte >= 0x21 && byte <= 0x7E }

    /// Keeps request ids log-safe: printable ASCII only, cut to the maximum length.
    static func sanitized(_ id: String) -> String {
        // Ids are nearly always clean already; checking first spares a copy on every frame.
        if id.utf8.count <= maximumRequestIDLength, id.utf8.allSatisfy(isPrintableASCII) { return id }
        var bytes = id.utf8.filter(isPrintableASCII)
        if bytes.count > maximumRequestIDLength { bytes.removeLast(bytes.count - maximumRequestIDLength) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
