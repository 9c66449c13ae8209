import HTTPTypes
public import WireProtocol
import WireTransport

/// The one place where backend outcomes become HTTP statuses and client-facing details.
extension APIError {
    /// Maps an error from a backend call; anything unexpected becomes 502, never 500.
    public static func from(backendError error: any Error, service: String) -> APIError {
        guard let wireError = error as? WireError else {
            return APIError(.badGateway, "Bad Gateway")
        }
        switch wireError {
        case .remote(let status, let message, let metadata):
            // A limit the operation checked itself (refresh, logout): the usual 429 with its headers.
            if status == .rateLimited, let decision = WireRateLimitDecision(metadata: metadata) { return RateLimits.tooMany(decision) }
            // A lock with its own end (a second factor's codes after too many wrong ones).
            if status == .rateLimited, let seconds = metadata["retry_after"].flatMap(Int.init), seconds > 0 {
                return APIError(.tooManyRequests, message, headers: [.retryAfter: String(seconds)])
            }
            // The right password of an account with a second factor: the login goes on at
            // `mfa/verify` with this challenge.
            if status == .permissionDenied, message == "mfa_required", let token = metadata["mfa_token"] {
                return APIError(.forbidden, message, headers: [.cacheControl: "no-store"], fields: [("mfa_token", token)])
            }
            return Self.from(status: status, message: message, service: service)
        case .deadlineExceeded:
            return APIError(.gatewayTimeout, "\(service) service timed out")
        case .connectionFailed, .connectionClosed, .noHealthyEndpoint, .tooManyInFlight:
            return .unavailable("\(service) service unavailable")
        case .frameTooLarge, .frameTooShort, .malformedHeader, .unsupportedVersion, .truncatedFrame, .malformedPayload:
            return APIError(.badGateway, "Bad Gateway")
        }
    }

    /// Maps a ``WireStatus`` answer; `message` is the backend's client-safe message.
    public static func from(status: WireStatus, message: String, service: String) -> APIError {
        switch status {
        case .invalidArgument: APIError(.unprocessableContent, message)
        case .conflict: APIError(.conflict, message)
        case .failedPrecondition: APIError(.badRequest, message)
        case .notFound: APIError(.notFound, message)
        case .invalidCredentials: APIError(.unauthorized, message, headers: bearerChallenge(error: nil))
        case .invalidToken, .tokenReused, .accountInactive:
            APIError(.unauthorized, message, headers: bearerChallenge(error: "invalid_token"))
        case .permissionDenied: APIError(.forbidden, message)
        case .rateLimited: APIError(.tooManyRequests, message, headers: [.retryAfter: "60"])
        case .overloaded, .shuttingDown: .unavailable("\(service) service overloaded")
        case .dependencyUnavailable: .unavailable("\(service) service unavailable")
        case .deadlineExceeded: APIError(.gatewayTimeout, "\(service) service timed out")
        default: APIError(.badGateway, "Bad Gateway")
        }
    }

    /// `WWW-Authenticate: Bearer` with an RFC 6750 `error` when a token was presented.
    static func bearerChallenge(error: String?) -> HTTPFields {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = error.map { "Bearer error=\"\($0)\"" } ?? "Bearer"
        return headers
    }
}
