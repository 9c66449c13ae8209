/// ``AccessTokenDenylist`` on Redis: a key per denied token, read with the user's epoch (and
/// the user's rate-limit bucket) in one round trip, since they share the user's hash tag.
public struct RedisAccessTokenDenylist: AccessTokenDenylist {
    let redis: RedisStore

    public init(redis: RedisClient, prefix: String = "auth") {
        self.redis = RedisStore(client: redis, keys: RedisKeyspace(prefix: prefix))
    }

    public func deny(jti: String, userID: Int64, expiresAt: Double, now: Double) async throws {
        let seconds = Int((expiresAt - now).rounded(.up)) + 1
        guard seconds > 0 else { return }
        _ = try await self.redis.command(["SET", self.redis.keys.user(userID, "deny:\(jti)"), "1", "EX", String(seconds)])
    }

    public func isAllowed(jti: String, userID: Int64, session: String?, issuedAt: Double) async throws -> Bool {
        try await self.check(jti: jti, userID: userID, session: session, issuedAt: issuedAt, limit: nil, now: issuedAt).allowed
    }

    /// Denylist, ended session, revocation epoch and the user's rate limit in one script. `nil`
    /// decision when no rule was given.
    static let checkAndLimit = RedisScript(
        GCRA.luaFunction + """

            if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return {0} end
            local epoch = tonumber(redis.call('GET', KEYS[2]) or '0')
            if tonumber(ARGV[1]) < epoch then return {0} end
            if #KEYS < 4 then return {1} end
            local decision = gcra(KEYS[4], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
            return {1, decision[1], decision[2], decision[3], decision[4]}
            """
    )

    public func check(jti: String, userID: Int64, session: String?, issuedAt: Double, limit: RateLimitRule?, now: Double) async throws
        -> (allowed: Bool, decision: RateLimitDecision?)
    {
        let keys = self.redis.keys
        // A token naming no session checks a session key that is never written.
        var scriptKeys = [keys.user(userID, "deny:\(jti)"), keys.user(userID, "epoch"), keys.user(userID, "ended:\(session ?? "-")")]
        var arguments = [ScriptTime.format(issuedAt)]
        if let limit {
            scriptKeys.append(keys.user(userID, "rl:\(limit.key)"))
            arguments += [ScriptTime.format(now), String(limit.limit), String(limit.periodSeconds)]
        }
        let reply = try await self.redis.run(Self.checkAndLimit, keys: scriptKeys, arguments: arguments)
        let values = reply.array ?? []
        guard values.first?.integer == 1 else { return (false, nil) }
        guard let limit, values.count == 5 else { return (true, nil) }
        let decision = GCRA.decision(.array(Array(values.dropFirst())), limit: limit.limit)
        RateLimitMetrics.record(decision, key: limit.key)
        return (true, decision)
    }
}
