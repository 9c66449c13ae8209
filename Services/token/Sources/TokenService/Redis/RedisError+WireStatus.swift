public import WireProtocol
public import WireTransport

/// A Redis failure that reaches the dispatcher unconverted (``RedisStore`` turns an outage into
/// ``TokenError/storeUnavailable`` for every store): an outage answers as that does, a full
/// pipeline is "overloaded" (503 with Retry-After).
extension RedisError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .connectionFailed: TokenError.storeUnavailable.wireStatus
        case .overloaded: .overloaded
        case .server, .unexpectedReply: .internalError
        }
    }

    public var wireMessage: String {
        switch self {
        case .connectionFailed: TokenError.storeUnavailable.wireMessage
        case .overloaded: "service overloaded"
        case .server, .unexpectedReply: "internal error"
        }
    }
}
