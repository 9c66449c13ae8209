import Crypto
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// ``RefreshTokenStore`` on Redis: each operation is one Lua script, one round trip, atomic
/// across token instances (no read-then-write between processes). The keys it keeps are listed
/// in ``RedisKeyspace``: a hash per family, a key per refresh token (by its HMAC), the user's set
/// of families, the user's revocation epoch and a marker per session ended early, which the
/// access-token check reads.
public struct RedisRefreshTokenStore: RefreshTokenStore {
    let redis: RedisStore
    let hashKey: SymmetricKey
    /// Seals the successor kept for the grace window (a copy of Redis yields no usable token).
    let successorSeal: SuccessorSeal
    /// How long a session ended early stays marked: past it, no access token of it is current.
    let endedMarkerSeconds: Int

    /// The most live sessions one user holds; a login beyond it ends the least recently used.
    let maximumSessions: Int

    /// - Parameters:
    ///   - accessTokenLifetime: seconds an access token lives; a session ended early is
    ///     remembered that long (plus the verifier's leeway), so the access tokens issued in it die too.
    ///   - maximumSessions: `MAX_SESSIONS_PER_USER`: every walk over a user's sessions is bounded by it.
    ///   - prefix: `REDIS_KEY_PREFIX`; tests use their own.
    public init(redis: RedisClient, refreshSecret: String, accessTokenLifetime: Int, maximumSessions: Int = 100, prefix: String = "auth") {
        self.redis = RedisStore(client: redis, keys: RedisKeyspace(prefix: prefix))
        self.endedMarkerSeconds = accessTokenLifetime + 60
        self.maximumSessions = maximumSessions
        self.hashKey = SymmetricKey(data: Data(refreshSecret.utf8))
        self.successorSeal = SuccessorSeal(refreshSecret: refreshSecret)
    }

    /// The key layout (tests look at the keys).
    public var keys: RedisKeyspace { self.redis.keys }

    func userKey(_ userID: Int64, _ suffix: String) -> String { self.redis.keys.user(userID, suffix) }

    // Families of the user that have ended by themselves are dropped from the set: up to eight
    // of them, picked at random, per login. Scanning the whole set at every login would make
    // each as long as that; a sample keeps the ended ones at about a seventh of the live ones
    // (each login adds one), and listing the sessions drops every ended one.
    // At the cap (ARGV[12]) the set is walked once (it holds at most the cap, plus ended ones): the
    // ended are dropped and the least recently used live ones (last refresh, else start) end,
    // marked like a session ended from a list, until the new one fits: a device in use outlives
    // a pile of forgotten logins. A set from before the cap is trimmed by the first login that
    // meets it.
    static let start = RedisScript(
        """
        for _, family in ipairs(redis.call('SRANDMEMBER', KEYS[3], 8)) do
          if redis.call('EXISTS', ARGV[11] .. family) == 0 then redis.call('SREM', KEYS[3], family) end
        end
        local cap = tonumber(ARGV[12])
        local evicted = 0
        if redis.call('SCARD', KEYS[3]) >= cap then
          local live = {}
          for _, family in ipairs(redis.call('SMEMBERS', KEYS[3])) do
            local used = redis.call('HMGET', ARGV[11] .. family, 'last_used', 'created')
            if used[1] or used[2] then
              live[#live + 1] = {tonumber(used[1] or used[2]) or 0, family}
            else
              redis.call('SREM', KEYS[3], family)
            end
          end
          table.sort(live, function(a, b) if a[1] ~= b[1] then return a[1] < b[1] end return a[2] < b[2] end)
          for i = 1, #live - cap + 1 do
            local family = live[i][2]
            redis.call('DEL', ARGV[11] .. family)
            redis.call('SREM', KEYS[3], family)
            redis.call('SET', ARGV[13] .. family, '1', 'EX', ARGV[14])
            evicted = evicted + 1
          end
        end
        redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'username', ARGV[2], 'role', ARGV[3], 'scope', ARGV[4],
          'created', ARGV[5], 'last_used', ARGV[5], 'ua', ARGV[7], 'ip', ARGV[8], 'tier', ARGV[10], 'amr', ARGV[15])
        redis.call('EXPIRE', KEYS[1], ARGV[6])
        redis.call('SET', KEYS[2], 'c', 'EX', ARGV[6])
        redis.call('SADD', KEYS[3], ARGV[9])
        redis.call('EXPIRE', KEYS[3], ARGV[6])
        return evicted
        """
    )

    @discardableResult
    public func startFamily(_ token: RefreshToken, grant: SessionGrant, client: ClientDetails, now: Double, lifetime: Int) async throws -> Int {
        let keys = [
            self.userKey(grant.userID, "fam:\(token.familyID)"),
            self.userKey(grant.userID, "rt:\(token.digest(key: self.hashKey))"),
            self.userKey(grant.userID, "families"),
        ]
        let arguments = [
            String(grant.userID), grant.username, grant.role, grant.scope, ScriptTime.format(now), String(lifetime),
            String(client.userAgent.prefix(256)), String(client.ip.prefix(64)), token.familyID, grant.tier,
            self.userKey(grant.userID, "fam:"), String(self.maximumSessions), self.userKey(grant.userID, "ended:"),
            String(self.endedMarkerSeconds), grant.amr.joined(separator: " "),
        ]
        let reply = try await self.redis.run(Self.start, keys: keys, arguments: arguments)
        return reply.integer.map(Int.init) ?? 0
    }

    /// Consumed tokens become `x:<time>`; a second presentation is reuse, unless it falls within
    /// the configured grace (several tabs refreshing at once, an answer lost on the way): then the
    /// successor issued at the rotation, kept sealed for the window (`succ:` key), is answered
    /// again, so every presentation converges on one successor and no second branch is made.
    /// The successor lives the sliding lifetime, cut to what is left of the session's absolute
    /// lifetime; a session past it ends like a revoked one.
    static let rotate = RedisScript(
        """
        local state = redis.call('GET', KEYS[2])
        if not state then return {'invalid'} end
        local fam = redis.call('HMGET', KEYS[1], 'uid', 'username', 'role', 'scope', 'created', 'tier', 'amr')
        if not fam[1] then return {'invalid'} end
        local now = tonumber(ARGV[1])
        local epoch = tonumber(redis.call('GET', KEYS[4]) or '0')
        local ttl = math.min(tonumber(ARGV[2]), math.floor(tonumber(fam[5]) + tonumber(ARGV[5]) - now))
        if tonumber(fam[5]) < epoch or ttl < 1 then
          redis.call('DEL', KEYS[1])
          redis.call('SREM', KEYS[5], ARGV[3])
          return {'invalid'}
        end
        local granted = {'ok', fam[1], fam[2], fam[3], fam[4], fam[6] or '', fam[5], tostring(ttl), fam[7] or ''}
        if state ~= 'c' then
          local consumed = tonumber(string.sub(state, 3)) or 0
          if tonumber(ARGV[4]) > 0 and now - consumed <= tonumber(ARGV[4]) then
            local sealed = redis.call('GET', KEYS[6])
            if sealed then
              granted[1] = 'replay'
              granted[10] = sealed
              return granted
            end
          end
          redis.call('DEL', KEYS[1])
          redis.call('SREM', KEYS[5], ARGV[3])
          redis.call('SET', KEYS[7], '1', 'EX', ARGV[7])
          return {'reused', fam[1]}
        end
        redis.call('SET', KEYS[2], 'x:' .. ARGV[1], 'KEEPTTL')
        redis.call('SET', KEYS[3], 'c', 'EX', ttl)
        if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[6], ARGV[6], 'EX', tonumber(ARGV[4]) + 1) end
        redis.call('HSET', KEYS[1], 'last_used', ARGV[1])
        redis.call('EXPIRE', KEYS[1], ttl)
        if redis.call('TTL', KEYS[5]) < ttl then redis.call('EXPIRE', KEYS[5], ttl) end
        return granted
        """
    )

    public func rotate(
        _ presented: RefreshToken,
        next: RefreshToken,
        now: Double,
        lifetime: Int,
        absoluteLifetime: Int,
        reuseGrace: Int
    ) async throws -> RotationOutcome {
        let id = presented.userID
        let presentedDigest = presented.digest(key: self.hashKey)
        let keys = [
            self.userKey(id, "fam:\(presented.familyID)"),
            self.userKey(id, "rt:\(presentedDigest)"),
            self.userKey(id, "rt:\(next.digest(key: self.hashKey))"),
            self.userKey(id, "epoch"),
            self.userKey(id, "families"),
            self.userKey(id, "succ:\(presentedDigest)"),
            self.userKey(id, "ended:\(presented.familyID)"),
        ]
        let sealed = reuseGrace > 0 ? try self.successorSeal.seal(next.value) : ""
        let reply = try await self.redis.run(
            Self.rotate,
            keys: keys,
            arguments: [
                ScriptTime.format(now), String(lifetime), presented.familyID, String(reuseGrace), String(absoluteLifetime), sealed,
                String(self.endedMarkerSeconds),
            ]
        )
        let fields = reply.array?.compactMap(\.string) ?? []
        func grant() -> (SessionGrant, Int)? {
            guard fields.count >= 9, let userID = Int64(fields[1]), userID == id, let startedAt = Double(fields[6]), let ttl = Int(fields[7])
            else { return nil }
            let grant = SessionGrant(
                userID: userID,
                username: fields[2],
                role: fields[3],
                scope: fields[4],
                tier: fields[5],
                amr: SessionGrant.amr(stored: fields[8]),
                startedAt: startedAt
            )
            return (grant, ttl)
        }
        switch fields.first {
        case "ok":
            guard let (grant, ttl) = grant() else { return .invalid }
            return .rotated(grant, lifetime: ttl)
        case "replay":
            guard let (grant, ttl) = grant(), fields.count == 10, let value = self.successorSeal.open(fields[9]),
                let successor = RefreshToken(parsing: value), successor.userID == id, successor.familyID == presented.familyID
            else { return .invalid }
            return .replayed(grant, successor: successor, lifetime: ttl)
        case "reused":
            return .reused(userID: id)
        default:
            return .invalid
        }
    }

    // Only a token of the family (current or already used) revokes it: knowing a family id
    // is not enough.
    static let revoke = RedisScript(
        """
        if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
        local existed = redis.call('DEL', KEYS[1])
        redis.call('SREM', KEYS[2], ARGV[1])
        if existed == 1 then redis.call('SET', KEYS[4], '1', 'EX', ARGV[2]) end
        return existed
        """
    )

    public func revokeFamily(of token: RefreshToken) async throws -> Bool {
        let keys = [
            self.userKey(token.userID, "fam:\(token.familyID)"),
            self.userKey(token.userID, "families"),
            self.userKey(token.userID, "rt:\(token.digest(key: self.hashKey))"),
            self.userKey(token.userID, "ended:\(token.familyID)"),
        ]
        return try await self.redis.run(Self.revoke, keys: keys, arguments: [token.familyID, String(self.endedMarkerSeconds)]).integer == 1
    }

    // Reads every family in the user's set (families that ended by themselves are dropped from
    // it): one round trip, no scan of the keyspace, bounded by the cap on sessions.
    static let list = RedisScript(
        """
        local sessions = {}
        for _, family in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local key = ARGV[1] .. family
          local fields = redis.call('HMGET', key, 'created', 'last_used', 'ua', 'ip')
          if fields[1] then
            sessions[#sessions + 1] = {family, fields[1], fields[2] or fields[1], fields[3] or '', fields[4] or '', redis.call('TTL', key)}
          else
            redis.call('SREM', KEYS[1], family)
          end
        end
        return sessions
        """
    )

    public func sessions(userID: Int64) async throws -> [SessionRecord] {
        let reply = try await self.redis.run(Self.list, keys: [self.userKey(userID, "families")], arguments: [self.userKey(userID, "fam:")])
        let sessions = (reply.array ?? []).compactMap { entry -> SessionRecord? in
            guard let fields = entry.array, fields.count == 6, let id = fields[0].string,
                let created = fields[1].string.flatMap(Double.init), let lastUsed = fields[2].string.flatMap(Double.init)
            else { return nil }
            return SessionRecord(
                id: id,
                createdAt: created,
                lastUsedAt: lastUsed,
                userAgent: fields[3].string ?? "",
                ip: fields[4].string ?? "",
                expiresIn: fields[5].integer.map { Int(max(0, $0)) } ?? 0
            )
        }
        return sessions.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    // Ends the named families (all but ARGV[3] when ARGV[4] is 'others'), marking each so its
    // access tokens are refused until the last of them has expired.
    static let end = RedisScript(
        """
        local families
        if ARGV[4] == 'others' then families = redis.call('SMEMBERS', KEYS[1]) else families = {ARGV[3]} end
        local ended = 0
        for _, family in ipairs(families) do
          if family ~= ARGV[3] or ARGV[4] ~= 'others' then
            if redis.call('DEL', ARGV[1] .. family) == 1 then
              ended = ended + 1
              redis.call('SET', ARGV[2] .. family, '1', 'EX', ARGV[5])
            end
            redis.call('SREM', KEYS[1], family)
          end
        end
        return ended
        """
    )

    public func endSession(userID: Int64, familyID: String) async throws -> Bool {
        guard RefreshToken.isFamilyID(familyID[...]) else { return false }
        return try await self.end(userID: userID, family: familyID, mode: "one") == 1
    }

    public func endSessions(userID: Int64, keeping: String?) async throws -> Int {
        try await self.end(userID: userID, family: keeping ?? "", mode: "others")
    }

    private func end(userID: Int64, family: String, mode: String) async throws -> Int {
        let arguments = [self.userKey(userID, "fam:"), self.userKey(userID, "ended:"), family, mode, String(self.endedMarkerSeconds)]
        let reply = try await self.redis.run(Self.end, keys: [self.userKey(userID, "families")], arguments: arguments)
        return reply.integer.map(Int.init) ?? 0
    }

    /// Deletes every family of the user started before the moment and moves the epoch to it:
    /// access tokens issued before it fail verification, and a family that escaped the set (none
    /// should) fails rotation. Families started after it (the user's next logins, when the
    /// revocation arrives late) stay. The epoch outlives every token it could concern.
    static let revokeAll = RedisScript(
        """
        local families = redis.call('SMEMBERS', KEYS[1])
        local moment = tonumber(ARGV[1])
        local removed = 0
        for _, family in ipairs(families) do
          local created = tonumber(redis.call('HGET', ARGV[3] .. family, 'created') or '0')
          if created < moment then
            removed = removed + redis.call('DEL', ARGV[3] .. family)
            redis.call('SREM', KEYS[1], family)
          end
        end
        local current = tonumber(redis.call('GET', KEYS[2]) or '0')
        if moment > current then
          redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
        end
        return removed
        """
    )

    public func revokeAll(userID: Int64, now: Double, lifetime: Int) async throws -> Int {
        let keys = [self.userKey(userID, "families"), self.userKey(userID, "epoch")]
        let reply = try await self.redis.run(
            Self.revokeAll,
            keys: keys,
            arguments: [ScriptTime.format(now), String(lifetime), self.userKey(userID, "fam:")]
        )
        return reply.integer.map(Int.init) ?? 0
    }

    /// Rewrites the tier of every family in the user's set; families that expired meanwhile are
    /// dropped from the set rather than brought back.
    static let setTier = RedisScript(
        """
        local families = redis.call('SMEMBERS', KEYS[1])
        local updated = 0
        for _, family in ipairs(families) do
          local key = ARGV[2] .. family
          if redis.call('EXISTS', key) == 1 then
            redis.call('HSET', key, 'tier', ARGV[1])
            updated = updated + 1
          else
            redis.call('SREM', KEYS[1], family)
          end
        end
        return updated
        """
    )

    public func setTier(userID: Int64, tier: String) async throws -> Int {
        let reply = try await self.redis.run(Self.setTier, keys: [self.userKey(userID, "families")], arguments: [tier, self.userKey(userID, "fam:")])
        return reply.integer.map(Int.init) ?? 0
    }
}
