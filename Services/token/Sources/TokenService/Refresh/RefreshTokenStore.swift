/// The session data a refresh family carries from login to every rotation.
public struct SessionGrant: Sendable, Hashable {
    public var userID: Int64
    public var username: String
    public var role: String
    public var scope: String
    /// The subscription tier (seed 002); empty when none.
    public var tier: String
    /// When the session started (seconds since 1970): its absolute lifetime counts from here, and
    /// a revocation of everything after this moment ends it. Set by the store.
    public var startedAt: Double

    public init(userID: Int64, username: String, role: String, scope: String, tier: String = "", startedAt: Double = 0) {
        self.userID = userID
        self.username = username
        self.role = role
        self.scope = scope
        self.tier = tier
        self.startedAt = startedAt
    }

    /// This grant as stored for a session started at `time`.
    public func started(_ time: Double) -> SessionGrant {
        var grant = self
        grant.startedAt = time
        return grant
    }
}

/// What happened when a refresh token was presented.
public enum RotationOutcome: Sendable, Hashable {
    /// The token was current: it is consumed and `next` is the family's new current token,
    /// living `lifetime` seconds.
    case rotated(SessionGrant, lifetime: Int)
    /// Unknown, expired, or of a revoked family.
    case invalid
    /// Already consumed: the family is revoked now.
    case reused(userID: Int64)
}

/// Where refresh families live. Production: ``RedisRefreshTokenStore``.
///
/// Every operation is atomic across any number of token instances.
public protocol RefreshTokenStore: Sendable {
    /// Starts a family whose current token is `token`.
    func startFamily(_ token: RefreshToken, grant: SessionGrant, client: ClientDetails, now: Double, lifetime: Int) async throws

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

    /// Revokes the family of `token`, if `token` is (or was) one of its tokens; whether there was one.
    func revokeFamily(of token: RefreshToken) async throws -> Bool

    /// Revokes every family of the user started before `now` and every access token issued
    /// before it; how many families there were.
    func revokeAll(userID: Int64, now: Double, lifetime: Int) async throws -> Int

    /// Gives every live family of the user `tier` (empty: none) from its next rotation on; how
    /// many families there were.
    func setTier(userID: Int64, tier: String) async throws -> Int

    /// Denies the access token `jti` of `userID` until `expiresAt`.
    func denyAccessToken(jti: String, userID: Int64, expiresAt: Double, now: Double) async throws

    /// Whether an access token is still allowed: not denied, and issued after the user's last
    /// revocation of everything.
    func isAccessTokenAllowed(jti: String, userID: Int64, issuedAt: Double) async throws -> Bool

    /// The same check plus, when `limit` is given, the user's rate limit, in one round trip.
    func checkAccessToken(jti: String, userID: Int64, issuedAt: Double, limit: RateLimitRule?, now: Double) async throws
        -> (allowed: Bool, decision: RateLimitDecision?)
}

extension RefreshTokenStore {
    /// A rotation with no absolute limit closer than ten years.
    public func rotate(_ presented: RefreshToken, next: RefreshToken, now: Double, lifetime: Int, reuseGrace: Int) async throws -> RotationOutcome {
        try await self.rotate(presented, next: next, now: now, lifetime: lifetime, absoluteLifetime: 10 * 365 * 86400, reuseGrace: reuseGrace)
    }

    public func checkAccessToken(jti: String, userID: Int64, issuedAt: Double, limit: RateLimitRule?, now: Double) async throws
        -> (allowed: Bool, decision: RateLimitDecision?)
    {
        (try await self.isAccessTokenAllowed(jti: jti, userID: userID, issuedAt: issuedAt), nil)
    }
}

/// Where a session was started from, shown in session lists.
public struct ClientDetails: Sendable, Hashable {
    public var ip: String
    public var userAgent: String

    public init(ip: String, userAgent: String) {
        self.ip = ip
        self.userAgent = userAgent
    }
}
