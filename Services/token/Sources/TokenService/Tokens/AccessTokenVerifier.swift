/// Checks an access token completely: size, header, signature (``KeyRing``), issuer, audience,
/// validity window with a small leeway, then the denylist, the session and the user's revocation epoch.
public struct AccessTokenVerifier: Sendable {
    /// Larger than any token we issue; anything bigger is refused unparsed.
    public static let maximumTokenBytes = 8 * 1024

    let keyRing: KeyRing
    let denylist: any AccessTokenDenylist
    let issuer: String
    let audience: String
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    let leeway: Double

    public init(keyRing: KeyRing, denylist: any AccessTokenDenylist, issuer: String, audience: String, leeway: Double = 30) {
        self.keyRing = keyRing
        self.denylist = denylist
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// The claims of a token that passes every check, else ``TokenError/invalidAccessToken``.
    public func verify(_ token: String, now: Double) async throws -> AccessTokenClaims {
        try await self.verify(token, now: now, limit: nil).claims
    }

    /// Verifies the token and, when `limit` picks a rule for the token's role, checks the user's
    /// rate limit in the same Redis round trip as the revocation state.
    ///
    /// When Redis is down the token is accepted on its signature and claims alone (for at most
    /// its remaining lifetime), with no rate-limit decision: authenticated reads keep working
    /// through an outage; the caller logs that revocations could not be checked.
    public func verify(_ token: String, now: Double, limit: (@Sendable (AccessTokenClaims) -> RateLimitRule?)?) async throws
        -> (claims: AccessTokenClaims, decision: RateLimitDecision?, revocationChecked: Bool)
    {
        guard token.utf8.count <= Self.maximumTokenBytes else { throw TokenError.tokenTooLarge }
        let claims = try await self.verifiedStateless(token, now: now)
        guard let userID = Int64(claims.sub) else { throw TokenError.invalidAccessToken }
        do {
            let (allowed, decision) = try await self.denylist.check(
                jti: claims.jti,
                userID: userID,
                session: claims.sid,
                issuedAt: claims.issuedAt,
                limit: limit?(claims),
                now: now
            )
            guard allowed else { throw TokenError.invalidAccessToken }
            return (claims, decision, true)
        } catch TokenError.storeUnavailable {
            return (claims, nil, false)
        }
    }

    /// Everything but the Redis checks (used by logout, which denies the token anyway).
    public func verifiedStateless(_ token: String, now: Double) async throws -> AccessTokenClaims {
        guard token.utf8.count <= Self.maximumTokenBytes else { throw TokenError.tokenTooLarge }
        let claims = try await self.keyRing.verifiedClaims(token)
        guard claims.iss == self.issuer, claims.aud == self.audience, claims.isCurrent(at: now, leeway: self.leeway) else {
            throw TokenError.invalidAccessToken
        }
        return claims
    }
}
