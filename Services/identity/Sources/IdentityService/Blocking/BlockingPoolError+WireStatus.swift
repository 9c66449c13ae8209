public import WireProtocol
public import WireTransport

/// A full pool answers "overloaded" at once; a deadline that passed while waiting for a
/// connection is dropped by the dispatcher, since nobody waits for that answer any more.
extension BlockingPoolError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .overloaded: .overloaded
        case .deadlineExceeded: .deadlineExceeded
        }
    }

    public var wireMessage: String {
        switch self {
        case .overloaded: "service overloaded"
        case .deadlineExceeded: "deadline exceeded"
        }
    }
}
