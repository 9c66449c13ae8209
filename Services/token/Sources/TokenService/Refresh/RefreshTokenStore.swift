/// Where refresh families live. Production: ``RedisRefreshTokenStore``.
///
/// Every operation is atomic across any number of token instances.
public protocol RefreshTokenStore: Sendable {
    /// Starts a family whose current token is `token`; the user's least recently used sessions
    /// end when the user already holds as many as allowed. How many ended so.
    @discardableResult
    func startFamily(_ token: RefreshToken, grant: SessionGrant, client: ClientDetails, now: Double, lifetime: Int) async throws -> Int

    /// Consumes `presented` and makes `next` (same family) current, in one step. `next` lives
    /// `lifetime` seconds, but never past `absoluteLifetime` seconds from the session's start:
    /// a session that keeps refreshing still ends then.
    func rotate(
        _ presented: RefreshToken,
        next: RefreshToken,
        now: Double,
        lifetime: Int,
        absoluteLifetime: Int,
        reuseGrace: Int
    ) async throws -> RotationOutcome

    /// Revokes the family of `token`, if `token` is (or was) one of its tokens; whether there was
    /// one. The access tokens issued in it are refused from then on.
    func revokeFamily(of token: RefreshToken) async throws -> Bool

    /// The user's live sessions, newest first.
    func sessions(userID: Int64) async throws -> [SessionRecord]

    /// Ends one session of the user, its access tokens included; whether it was live.
    func endSession(userID: Int64, familyID: String) async throws -> Bool

    /// Ends every session of the user but `keeping` (every one when `nil`), their access tokens
    /// included; how many ended.
    func endSessions(userID: Int64, keeping: String?) async throws -> Int

    /// Revokes every family of the user started before `now` and every access token issued
    /// before it; how many families there were.
    func revokeAll(userID: Int64, now: Double, lifetime: Int) async throws -> Int

    /// Gives every live family of the user `tier` (empty: none) from its next rotation on; how
    /// many families there were.
    func setTier(userID: Int64, tier: String) async throws -> Int
}

extension RefreshTokenStore {
    /// A rotation with no absolute limit closer than ten years.
    public func rotate(_ presented: RefreshToken, next: RefreshToken, now: Double, lifetime: Int, reuseGrace: Int) async throws -> RotationOutcome {
        try await self.rotate(presented, next: next, now: now, lifetime: lifetime, absoluteLifetime: 10 * 365 * 86400, reuseGrace: reuseGrace)
    }
}
