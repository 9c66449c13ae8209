/// Where the token service's data lives in Redis.
///
/// Every key starts with `REDIS_KEY_PREFIX` (tests use their own). A user's keys share one hash
/// tag, so one script touches one Redis Cluster slot; each key expires by itself.
///
/// | key | type | holds | kept by |
/// |---|---|---|---|
/// | `P:{u:ID}:fam:F` | hash | the session: uid, username, role, scope, tier, created, last_used, ua, ip | ``RedisRefreshTokenStore`` |
/// | `P:{u:ID}:rt:HMAC` | string | `c` (current) or `x:<consumed at>`; kept until it would have expired, so reuse is seen | ``RedisRefreshTokenStore`` |
/// | `P:{u:ID}:succ:HMAC` | string | the sealed successor of a just-rotated token, for the reuse grace only | ``RedisRefreshTokenStore`` |
/// | `P:{u:ID}:families` | set | the user's family ids | ``RedisRefreshTokenStore`` |
/// | `P:{u:ID}:ended:F` | string | a session ended early (logout, reuse, ended from a session list), until its access tokens have expired | written by ``RedisRefreshTokenStore``, read by ``RedisAccessTokenDenylist`` |
/// | `P:{u:ID}:epoch` | string | tokens issued before this time are dead | written by ``RedisRefreshTokenStore``, read by ``RedisAccessTokenDenylist`` |
/// | `P:{u:ID}:deny:JTI` | string | a denied access token, until its `exp` | ``RedisAccessTokenDenylist`` |
/// | `P:{u:ID}:rl:KEY` | string | the user's own rate-limit bucket (GCRA) | ``RedisAccessTokenDenylist`` |
/// | `P:{rl:KEY}` | string | a rate-limit bucket (GCRA), its own hash tag | ``RateLimiter`` |
public struct RedisKeyspace: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "auth") {
        self.prefix = prefix
    }

    /// A key of one user's: `P:{u:ID}:suffix`.
    public func user(_ userID: Int64, _ suffix: String) -> String { "\(self.prefix):{u:\(userID)}:\(suffix)" }

    /// A rate-limit bucket under its own hash tag, so buckets spread over cluster slots.
    public func bucket(_ key: String) -> String { "\(self.prefix):{rl:\(key)}" }
}
