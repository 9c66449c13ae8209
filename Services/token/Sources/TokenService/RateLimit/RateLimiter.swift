/// Rate limits kept in Redis (``GCRA``), so every gateway and token instance shares them.
///
/// Each check is one script: atomic across instances and one round trip.
public struct RateLimiter: Sendable {
    let redis: RedisStore

    public init(redis: RedisClient, prefix: String = "auth") {
        self.redis = RedisStore(client: redis, keys: RedisKeyspace(prefix: prefix))
    }

    static let check = RedisScript(
        GCRA.luaFunction + """

            return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
            """
    )

    /// Checks and counts each rule (a denied request is not counted).
    public func check(_ rules: [RateLimitRule], now: Double) async throws -> [RateLimitDecision] {
        var decisions: [RateLimitDecision] = []
        for rule in rules {
            let reply = try await self.redis.run(
                Self.check,
                keys: [self.redis.keys.bucket(rule.key)],
                arguments: [ScriptTime.format(now), String(rule.limit), String(rule.periodSeconds)]
            )
            let decision = GCRA.decision(reply, limit: rule.limit)
            RateLimitMetrics.record(decision, key: rule.key)
            decisions.append(decision)
        }
        return decisions
    }
}
