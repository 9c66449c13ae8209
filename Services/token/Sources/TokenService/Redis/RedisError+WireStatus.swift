public import WireProtocol
public import WireTransport

/// A Redis failure that reaches the dispatcher unconverted: an outage is the dependency's
/// (503 at the gateway), a full pipeline is "overloaded" (503 with Retry-After).
extension RedisError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .connectionFailed: .dependencyUnavailable
        case .overloaded: .overloaded
        case .server, .unexpectedReply: .internalError
        }
    }

    public var wireMessage: String {
        switch self {
        case .connectionFailed: "Token store unavailable"
        case .overloaded: "service overloaded"
        case .server, .unexpectedReply: "internal error"
        }
    }
}
