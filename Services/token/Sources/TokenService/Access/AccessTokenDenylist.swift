/// Which access tokens are dead before their `exp`: denied one by one (logout), all of a session
/// ended early (marked by ``RefreshTokenStore``), or all of a user's issued before a moment (the
/// epoch ``RefreshTokenStore/revokeAll(userID:now:lifetime:)`` moves).
/// Production: ``RedisAccessTokenDenylist``.
public protocol AccessTokenDenylist: Sendable {
    /// Denies the access token `jti` of `userID` until `expiresAt`.
    func deny(jti: String, userID: Int64, expiresAt: Double, now: Double) async throws

    /// Whether an access token is still allowed: not denied, its session (`session`, when it
    /// names one) not ended early, and issued after the user's last revocation of everything.
    func isAllowed(jti: String, userID: Int64, session: String?, issuedAt: Double) async throws -> Bool

    /// The same check plus, when `limit` is given, the user's rate limit, in one round trip.
    func check(jti: String, userID: Int64, session: String?, issuedAt: Double, limit: RateLimitRule?, now: Double) async throws
        -> (allowed: Bool, decision: RateLimitDecision?)
}

extension AccessTokenDenylist {
    public func check(jti: String, userID: Int64, session: String?, issuedAt: Double, limit: RateLimitRule?, now: Double) async throws
        -> (allowed: Bool, decision: RateLimitDecision?)
    {
        (try await self.isAllowed(jti: jti, userID: userID, session: session, issuedAt: issuedAt), nil)
    }
}
