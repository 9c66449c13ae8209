/// The generic cell rate algorithm as Lua, shared by every script that counts a bucket.
///
/// One number per bucket, the theoretical arrival time (TAT): requests are spread evenly over
/// the period, with bursts up to the limit. A denied request is not counted.
enum GCRA {
    /// `gcra(key, now, limit, period)` returns `{allowed, remaining, reset, retry_after}` (the
    /// last two as strings: Lua numbers would be cut to integers on the way out).
    static let luaFunction = """
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

    /// The decision in `reply`, `gcra`'s four values.
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
