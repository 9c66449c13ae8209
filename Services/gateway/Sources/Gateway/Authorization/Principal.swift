import AccessControl
import WireProtocol

/// Who is calling, as established from a bearer token or an API key, with what the call may do.
struct Principal: Sendable {
    enum Credential: Sendable {
        /// An access token (as presented) with its verified claims.
        case accessToken(String, WireAccessClaims)
        /// An API key (as presented) and its id.
        case apiKey(String, id: Int64)
    }

    /// The user, fresh from identity.
    var user: WireUser
    var role: Role
    /// The token's or the key's scopes, within what the user's role allows today.
    var scopes: Set<String>
    var credential: Credential
    /// The user's (or key's) rate-limit decision, for the response headers.
    var rateLimit: WireRateLimitDecision?

    var userID: Int64 { self.user.id }

    /// The session the caller's access token was issued in; `nil` for an API key.
    var sessionID: String? {
        guard case .accessToken(_, let claims) = self.credential, !claims.sessionID.isEmpty else { return nil }
        return claims.sessionID
    }
}
