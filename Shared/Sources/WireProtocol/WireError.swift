/// What can go wrong with frames and the connections that carry them.
public enum WireError: Error, Sendable, Hashable {
    /// A peer announced a frame longer than the limit; refused before any of it is buffered.
    case frameTooLarge(announced: Int, limit: Int)
    /// A frame shorter than its header.
    case frameTooShort(length: Int)
    /// The header could not be read.
    case malformedHeader(String)
    /// The header names a protocol version this build does not speak.
    case unsupportedVersion(UInt8)
    /// The connection closed with bytes of an unfinished frame left.
    case truncatedFrame(leftover: Int)
    /// The payload is not the expected protobuf message.
    case malformedPayload(String)
    /// The answer did not come before the caller's deadline.
    case deadlineExceeded
    /// No connection could be made to the endpoint (nothing was sent: safe to retry elsewhere).
    case connectionFailed(endpoint: String, reason: String)
    /// The connection closed while the request was in flight (it may or may not have been done).
    case connectionClosed
    /// The connection has as many requests in flight as it allows.
    case tooManyInFlight(limit: Int)
    /// Every instance of the backend is ejected or unreachable.
    case noHealthyEndpoint(service: String)
    /// The peer answered with an error frame: its status, client-safe message and
    /// machine-readable extras (a field name, the user a reused token belonged to).
    case remote(status: WireStatus, message: String, metadata: [String: String] = [:])
}

extension WireError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .frameTooLarge(let announced, let limit): "frame of \(announced) bytes exceeds the limit of \(limit)"
        case .frameTooShort(let length): "frame of \(length) bytes is shorter than its header"
        case .malformedHeader(let why): "malformed frame header: \(why)"
        case .unsupportedVersion(let version): "unsupported protocol version \(version)"
        case .truncatedFrame(let leftover): "connection closed inside a frame (\(leftover) bytes left)"
        case .malformedPayload(let why): "malformed payload: \(why)"
        case .deadlineExceeded: "deadline exceeded"
        case .connectionFailed(let endpoint, let reason): "cannot connect to \(endpoint): \(reason)"
        case .connectionClosed: "connection closed with the request in flight"
        case .tooManyInFlight(let limit): "more than \(limit) requests in flight on one connection"
        case .noHealthyEndpoint(let service): "no healthy \(service) instance"
        case .remote(let status, let message, _): "\(status): \(message)"
        }
    }
}
