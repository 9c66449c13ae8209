/// The session data a refresh family carries from login to every rotation.
public struct SessionGrant: Sendable, Hashable {
    public var userID: Int64
    public var username: String
    public var role: String
    public var scope: String
    /// The subscription tier (seed 002); empty when none.
    public var tier: String

    public init(userID: Int64, username: String, role: String, scope: String, tier: String = "") {
        self.userID = userID
        self.username = username
        self.role = role
        self.scope = scope
        self.tier = tier
    }
}

/// What happened when a refresh token was presented.
public enum RotationOutcome: Sendable, Hashable {
    /// The token was current: it is consumed and `next` is the family's new current token.
    case rotated(SessionGrant)
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

    /// Consumes `presented` and makes `next` (same family) current, in one step.
    func rotate(_ presented: RefreshToken, next: RefreshToken, now: Double, lifetime: Int, reuseGrace: Int) async throws -> RotationOutcome

    /// Revokes the family of `token`, if `token` is (or was) one of its tokens; whether there was one.
    func revokeFamily(of token: RefreshToken) async throws -> Bool

    /// Revokes every family of the user and every access token issued before `now`; how many
    /// families there were.
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
