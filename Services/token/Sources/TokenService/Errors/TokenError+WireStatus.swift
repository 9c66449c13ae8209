public import WireProtocol
public import WireTransport

extension TokenError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .invalidAccessToken, .invalidRefreshToken, .tokenTooLarge: .invalidToken
        case .refreshReused: .tokenReused
        case .storeUnavailable: .dependencyUnavailable
        case .invalidArgument: .invalidArgument
        }
    }

    public var wireMessage: String {
        switch self {
        case .invalidAccessToken, .tokenTooLarge: "Could not validate credentials"
        case .invalidRefreshToken: "Invalid or expired refresh token"
        case .refreshReused: "Refresh token reuse detected; the session has been revoked"
        case .storeUnavailable: "Token store unavailable"
        case .invalidArgument: "Invalid request"
        }
    }

    /// A reused refresh token names its user, so the gateway can audit the theft.
    public var wireMetadata: [String: String] {
        if case .refreshReused(let userID) = self { return ["user_id": String(userID)] }
        return [:]
    }
}
