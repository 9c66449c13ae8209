public import WireProtocol
public import WireTransport

extension TokenError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .invalidAccessToken, .invalidRefreshToken, .tokenTooLarge: .invalidToken
        case .refreshReused: .tokenReused
        case .storeUnavailable: .dependencyUnavailable
        case .invalidArgument: .invalidArgument
        case .rateLimited: .rateLimited
        }
    }

    public var wireMessage: String {
        switch self {
        case .invalidAccessToken, .tokenTooLarge: "Could not validate credentials"
        case .invalidRefreshToken: "Invalid or expired refresh token"
        case .refreshReused: "Refresh token reuse detected; the session has been revoked"
        case .storeUnavailable: "Token store unavailable"
        case .invalidArgument: "Invalid request"
        case .rateLimited: "Rate limit exceeded, retry later"
        }
    }

    /// A reused refresh token names its user, so the gateway can audit the theft; a refusal
    /// carries its decision, so the gateway can answer with the `RateLimit-*` headers.
    public var wireMetadata: [String: String] {
        switch self {
        case .refreshReused(let userID):
            return ["user_id": String(userID)]
        case .rateLimited(let decision):
            return TokenOperations.wire(decision).metadata
        default:
            return [:]
        }
    }
}
