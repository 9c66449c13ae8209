/// Checks an access token completely: size, header, signature (``KeyRing``), issuer, audience,
/// validity window with a small leeway, then the denylist and the user's revocation epoch.
public struct AccessTokenVerifier: Sendable {
    /// Larger than any token we issue; anything bigger is refused unparsed.
    public static let maximumTokenBytes = 8 * 1024

    let keyRing: KeyRing
    let store: any RefreshTokenStore
    let issuer: String
    let audience: String
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    let leeway: Double

    public init(keyRing: KeyRing, store: any RefreshTokenStore, issuer: String, audience: String, leeway: Double = 30) {
        self.keyRing = keyRing
        self.store = store
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// The claims of a token that passes every check, else ``TokenError/invalidAccessToken``.
    public func verify(_ token: String, now: Double) async throws -> AccessTokenClaims {
        guard token.utf8.count <= Self.maximumTokenBytes else { throw TokenError.tokenTooLarge }
        let claims = try await self.verifiedStateless(token, now: now)
        guard let userID = Int64(claims.sub),
            try await self.store.isAccessTokenAllowed(jti: claims.jti, userID: userID, issuedAt: claims.iat)
        else { throw TokenError.invalidAccessToken }
        return claims
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
