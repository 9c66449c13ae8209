import AccessControl
import WireProtocol

/// Who is calling, as established from a bearer token or an API key, with what the call may do.
struct Principal: Sendable {
    enum Credential: Sendable {
        /// An access token with these verified claims.
        case accessToken(WireAccessClaims)
        /// An API key (its id).
        case apiKey(id: Int64)
    }

    /// The user, fresh from identity.
    var user: WireUser
    var role: Role
    /// The token's scopes, or the key's within what the user's role allows.
    var scopes: Set<String>
    var credential: Credential
    /// The user's (or key's) rate-limit decision, for the response headers.
    var rateLimit: WireRateLimitDecision?

    var userID: Int64 { self.user.id }

    /// The access token's claims when the caller used one.
    var claims: WireAccessClaims? {
        if case .accessToken(let claims) = self.credential { return claims }
        return nil
    }
}
