/// What token operations can refuse.
public enum TokenError: Error, Sendable, Hashable {
    /// The access token is malformed, badly signed, of the wrong type, expired, not yet valid,
    /// for another issuer or audience, denied, or issued before the user's tokens were revoked.
    case invalidAccessToken
    /// The refresh token is unknown, expired, malformed or of a revoked session.
    case invalidRefreshToken
    /// A refresh token that was already used came back: theft. The session is revoked.
    case refreshReused(userID: Int64)
    /// A request the operation cannot act on (no user id).
    case invalidArgument
    /// An access token larger than we ever issue; refused unparsed.
    case tokenTooLarge
    /// Redis is not answering.
    case storeUnavailable
    /// The request's rate limit refused it; nothing was done.
    case rateLimited(RateLimitDecision)
}
