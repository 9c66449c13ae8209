import Foundation

/// GCRA rate limits kept in Redis, so every gateway and token instance shares them.
///
/// The generic cell rate algorithm stores one number per bucket, the theoretical arrival time
/// (TAT): requests are spread evenly over the period, with bursts up to the limit. Each check is
/// one script: atomic across instances and one round trip.
public struct RateLimiter: Sendable {
    let redis: RedisClient
    let prefix: String

    public init(redis: RedisClient, prefix: String = "auth") {
        self.redis = redis
        self.prefix = prefix
    }

    /// The Lua that checks and counts one bucket: `gcra(key, now, limit, period)` returns
    /// `{allowed, remaining, reset, retry_after}` (the last two as strings: Lua numbers would be
    /// cut to integers on the way out).
    static let gcraFunction = """
        local function gcra(key, now, limit, period)
          local emission = period / limit
          local tat = tonumber(redis.call('GET', key) or '0')
          if tat < now then tat = now end
          local allow_at = tat + emission - period
          if now < allow_at then
            return {0, 0, tostring(tat - now), tostring(allow_at - now)}
          end
          local new_tat = tat + emission
          redis.call('SET', key, tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000))
          local remaining = math.floor((period - (new_tat - now)) / emission + 1e-9)
          return {1, remaining, tostring(new_tat - now), '0'}
        end
        """

    static let check = RedisScript(
        gcraFunction + """

            return gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
            """
    )

    /// The Redis key of a rule's bucket: its own hash tag, so buckets spread over cluster slots.
    func bucket(_ key: String) -> String { "\(self.prefix):{rl:\(key)}" }

    /// Checks and counts each rule (a denied request is not counted).
    public func check(_ rules: [RateLimitRule], now: Double) async throws -> [RateLimitDecision] {
        var decisions: [RateLimitDecision] = []
        for rule in rules {
            let reply = try await Self.check.run(
                on: self.redis,
                keys: [self.bucket(rule.key)],
                arguments: [RedisRefreshTokenStore.format(now), String(rule.limit), String(rule.periodSeconds)]
            )
            decisions.append(Self.decision(reply, limit: rule.limit))
        }
        return decisions
    }

    static func decision(_ reply: RedisValue, limit: Int) -> RateLimitDecision {
        let values = reply.array ?? []
        func number(_ index: Int) -> Double {
            guard index < values.count else { return 0 }
            if let integer = values[index].integer { return Double(integer) }
            return values[index].string.flatMap(Double.init) ?? 0
        }
        return RateLimitDecision(
            allowed: number(0) == 1,
            limit: limit,
            remaining: Int(number(1)),
            resetSeconds: number(2),
            retryAfterSeconds: number(3)
        )
    }
}

/// `limit` requests per `periodSeconds` for one key.
public struct RateLimitRule: Sendable, Hashable {
    public var key: String
    public var limit: Int
    public var periodSeconds: Double

    public init(key: String, limit: Int, periodSeconds: Double) {
        self.key = key
        self.limit = limit
        self.periodSeconds = periodSeconds
    }
}

/// The outcome of one rule.
public struct RateLimitDecision: Sendable, Hashable {
    public var allowed: Bool
    public var limit: Int
    public var remaining: Int
    public var resetSeconds: Double
    public var retryAfterSeconds: Double
}
