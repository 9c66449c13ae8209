public import WireProtocol

/// An error a service can send back over the wire.
///
/// Each service's error enum conforms in one file (`IdentityError+WireStatus.swift`, …); the
/// dispatcher uses it to turn a thrown error into an error frame. Anything else thrown becomes
/// ``WireStatus/internalError`` with a generic message, and the real error goes to the log.
public protocol WireErrorConvertible: Error {
    /// The cross-process status for this error.
    var wireStatus: WireStatus { get }
    /// A message safe to show a client: no SQL, no secret, no token.
    var wireMessage: String { get }
    /// Machine-readable extras (a field name, a retry hint).
    var wireMetadata: [String: String] { get }
}

extension WireErrorConvertible {
    public var wireMetadata: [String: String] { [:] }
}

extension WireError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .malformedPayload: .malformedPayload
        case .deadlineExceeded: .deadlineExceeded
        case .remote(let status, _, _): status
        case .frameTooLarge, .frameTooShort, .malformedHeader, .unsupportedVersion, .truncatedFrame: .malformedFrame
        case .connectionFailed, .connectionClosed, .tooManyInFlight, .noHealthyEndpoint: .dependencyUnavailable
        }
    }

    public var wireMessage: String {
        switch self {
        case .remote(_, let message, _): message
        default: self.description
        }
    }

    public var wireMetadata: [String: String] {
        if case .remote(_, _, let metadata) = self { return metadata }
        return [:]
    }
}
