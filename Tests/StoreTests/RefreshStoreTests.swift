import ServiceTesting
import Foundation
import Logging
import NIOCore
import ServiceRuntime
import Testing
@testable import TokenService

@Suite("Refresh families on the real Redis")
struct RefreshStoreTests {
    /// A store with its own key prefix, so tests never see each other's keys.
    static func store(maximumSessions: Int = 100) throws -> (RedisRefreshTokenStore, RedisClient) {
        var logger = Logger(label: "redis-test")
        logger.logLevel = .critical
        let redis = RedisClient(
            endpoint: try RedisEndpoint(url: TestServices.redisURL),
            connections: 2,
            // Generous: these tests run first, while the suite starts every stack at once.
            timeout: .seconds(15),
            logger: logger
        )
        let prefix = "test-\(UUID().uuidString.prefix(8))"
        return (
            RedisRefreshTokenStore(
                redis: redis,
                refreshSecret: "a-refresh-secret-of-at-least-32-characters",
                accessTokenLifetime: 900,
                maximumSessions: maximumSessions,
                prefix: prefix
            ), redis
        )
    }

    static let grant = SessionGrant(userID: 9, username: "john_doe", role: "user", scope: "profile:read")

    /// What a rotation answers for a session of `grant` started at 1000 with an hour to live.
    static func rotated(_ grant: SessionGrant = Self.grant, lifetime: Int = 3600) -> RotationOutcome {
        .rotated(grant.started(1000), lifetime: lifetime)
    }
    static let client = ClientDetails(ip: "127.0.0.1", userAgent: "tests")

    @Test func aTokenRotatesOnceAndItsReuseRevokesTheFamily() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)

        let second = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: second, now: 1001, lifetime: 3600, reuseGrace: 0) == Self.rotated())

        let stolen = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: stolen, now: 1002, lifetime: 3600, reuseGrace: 0) == .reused(userID: 9))

        let third = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(second, next: third, now: 1003, lifetime: 3600, reuseGrace: 0) == .invalid, "the whole family is revoked")
        #expect(try await store.rotate(stolen, next: third, now: 1003, lifetime: 3600, reuseGrace: 0) == .invalid)
    }

    /// Within the grace a replay gets the same successor (racing tabs, a lost answer converge on
    /// one cookie); the successor rotates normally; after the grace a replay is theft.
    // The grace is 30 s: the sealed successor's key lives that long in real time, and a loaded
    // machine once took longer than a 5 s grace between the rotation and the read of the key.
    @Test func aReplayWithinTheGraceGetsTheSameSuccessor() async throws {
        let (store, redis) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let successor = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: successor, now: 1001, lifetime: 3600, reuseGrace: 30) == Self.rotated())
        let tabB = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(
            try await store.rotate(first, next: tabB, now: 1003, lifetime: 3600, reuseGrace: 30)
                == .replayed(Self.grant.started(1000), successor: successor, lifetime: 3600)
        )
        // The replay made no token of its own: the one it was offered is unknown.
        let unknown = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(tabB, next: unknown, now: 1004, lifetime: 3600, reuseGrace: 30) == .invalid)
        // The sealed successor in Redis is not the token.
        let kept = try await redis.command(["KEYS", store.keys.user(9, "succ:*")]).array?.compactMap(\.string) ?? []
        #expect(kept.count == 1)
        let sealed = try await redis.command(["GET", kept[0]]).string ?? ""
        #expect(!sealed.isEmpty && !sealed.contains(successor.value))

        let third = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(successor, next: third, now: 1005, lifetime: 3600, reuseGrace: 30) == Self.rotated())
        let late = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: late, now: 1040, lifetime: 3600, reuseGrace: 30) == .reused(userID: 9))
        #expect(try await store.rotate(third, next: late, now: 1041, lifetime: 3600, reuseGrace: 30) == .invalid, "the family ended")
    }

    @Test func fiftyConcurrentPresentationsWithinTheGraceConvergeOnOneSuccessor() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let outcomes = try await withThrowingTaskGroup(of: (RefreshToken, RotationOutcome).self) { group in
            for _ in 0..<50 {
                group.addTask {
                    let next = RefreshToken.make(userID: 9, familyID: first.familyID)
                    return (next, try await store.rotate(first, next: next, now: 1001, lifetime: 3600, reuseGrace: 10))
                }
            }
            var outcomes: [(RefreshToken, RotationOutcome)] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let rotated = outcomes.filter { $0.1 == Self.rotated() }
        #expect(rotated.count == 1, "one rotation")
        let successor = try #require(rotated.first?.0)
        #expect(
            outcomes.filter { $0.1 == .replayed(Self.grant.started(1000), successor: successor, lifetime: 3600) }.count == 49,
            "every other presentation answered with that rotation's successor"
        )
    }

    @Test func twoHundredConcurrentRotationsOfOneTokenSucceedExactlyOnce() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let outcomes = try await withThrowingTaskGroup(of: RotationOutcome.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    try await store.rotate(
                        first,
                        next: RefreshToken.make(userID: 9, familyID: first.familyID),
                        now: 1001,
                        lifetime: 3600,
                        reuseGrace: 0
                    )
                }
            }
            var outcomes: [RotationOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.filter { $0 == Self.rotated() }.count == 1)
        #expect(outcomes.filter { $0 != Self.rotated() }.count == 199)
    }

    @Test func revokedAndUnknownFamiliesAreInvalid() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        #expect(try await store.revokeFamily(of: first))
        #expect(try await !store.revokeFamily(of: first))
        #expect(
            try await store.rotate(first, next: RefreshToken.make(userID: 9, familyID: first.familyID), now: 1001, lifetime: 3600, reuseGrace: 0)
                == .invalid
        )
        let stranger = RefreshToken.make(userID: 9)
        #expect(try await store.rotate(stranger, next: RefreshToken.make(userID: 9), now: 1001, lifetime: 3600, reuseGrace: 0) == .invalid)
    }

    @Test func everyKeyExpiresByItselfAndNoTokenIsStoredInClear() async throws {
        let (store, redis) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let keys = try await redis.command(["KEYS", "\(store.keys.prefix):*"]).array?.compactMap(\.string) ?? []
        #expect(keys.count == 3)
        for key in keys {
            let ttl = try await redis.command(["TTL", key]).integer ?? -1
            #expect(ttl > 0 && ttl <= 3600, "\(key) expires")
            #expect(key.contains("{u:9}"), "one hash tag per user: one cluster slot")
            #expect(!key.contains(first.value))
        }
    }

    @Test func deniedTokensAndTheRevocationEpochAreCheckedInOneLookup() async throws {
        let (store, redis) = try Self.store()
        let denylist = RedisAccessTokenDenylist(redis: redis, prefix: store.keys.prefix)
        #expect(try await denylist.isAllowed(jti: "a", userID: 9, session: nil, issuedAt: 1000))
        try await denylist.deny(jti: "a", userID: 9, expiresAt: WallClock.now() + 60, now: WallClock.now())
        #expect(try await !denylist.isAllowed(jti: "a", userID: 9, session: nil, issuedAt: 1000))
        _ = try await redis.command(["SET", store.userKey(9, "epoch"), "1000.500"])
        #expect(try await !denylist.isAllowed(jti: "b", userID: 9, session: nil, issuedAt: 1000.499))
        #expect(try await denylist.isAllowed(jti: "b", userID: 9, session: nil, issuedAt: 1000.501))
        // The script form (with the user's rate limit) reads the same keys.
        #expect(try await !denylist.check(jti: "a", userID: 9, session: nil, issuedAt: 2000, limit: nil, now: 2000).allowed)
        let rule = RateLimitRule(key: "user", limit: 1, periodSeconds: 60)
        let first = try await denylist.check(jti: "b", userID: 9, session: nil, issuedAt: 2000, limit: rule, now: 2000)
        #expect(first.allowed && first.decision?.allowed == true)
        let second = try await denylist.check(jti: "b", userID: 9, session: nil, issuedAt: 2000, limit: rule, now: 2001)
        #expect(second.allowed && second.decision?.allowed == false)
    }

    @Test func revokingEverythingEndsTheUsersAccessTokensToo() async throws {
        let (store, redis) = try Self.store()
        let denylist = RedisAccessTokenDenylist(redis: redis, prefix: store.keys.prefix)
        #expect(try await denylist.isAllowed(jti: "a", userID: 9, session: nil, issuedAt: 1000))
        _ = try await store.revokeAll(userID: 9, now: 1001, lifetime: 3600)
        #expect(try await !denylist.isAllowed(jti: "a", userID: 9, session: nil, issuedAt: 1000))
        #expect(try await denylist.isAllowed(jti: "a", userID: 9, session: nil, issuedAt: 1002))
    }

    @Test func aTierChangeReachesEveryLiveFamilyAtItsNextRotation() async throws {
        let (store, redis) = try Self.store()
        let pro = SessionGrant(userID: 9, username: "john_doe", role: "user", scope: "profile:read", tier: "Pro")
        let phone = RefreshToken.make(userID: 9)
        let laptop = RefreshToken.make(userID: 9)
        try await store.startFamily(phone, grant: pro, client: Self.client, now: 1000, lifetime: 3600)
        try await store.startFamily(laptop, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let phoneNext = RefreshToken.make(userID: 9, familyID: phone.familyID)
        #expect(
            try await store.rotate(phone, next: phoneNext, now: 1001, lifetime: 3600, reuseGrace: 0) == Self.rotated(pro),
            "the tier travels with the session"
        )

        // A family gone by itself (expired) is dropped from the set, not brought back.
        let gone = RefreshToken.make(userID: 9)
        try await store.startFamily(gone, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        _ = try await redis.command(["DEL", store.userKey(9, "fam:\(gone.familyID)")])
        #expect(try await store.setTier(userID: 9, tier: "Gold") == 2)
        #expect(try await redis.command(["EXISTS", store.userKey(9, "fam:\(gone.familyID)")]).integer == 0)
        #expect(try await redis.command(["SISMEMBER", store.userKey(9, "families"), gone.familyID]).integer == 0)

        var gold = pro
        gold.tier = "Gold"
        #expect(
            try await store.rotate(phoneNext, next: RefreshToken.make(userID: 9, familyID: phone.familyID), now: 1002, lifetime: 3600, reuseGrace: 0)
                == Self.rotated(gold)
        )
        var laptopGold = Self.grant
        laptopGold.tier = "Gold"
        #expect(
            try await store.rotate(laptop, next: RefreshToken.make(userID: 9, familyID: laptop.familyID), now: 1002, lifetime: 3600, reuseGrace: 0)
                == Self.rotated(laptopGold)
        )
        #expect(try await store.setTier(userID: 10, tier: "Gold") == 0, "another user's sessions are not touched")
    }

    @Test func aFamilyStartedWithoutATierRotatesWithNone() async throws {
        let (store, redis) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        // Families written before tiers existed have no tier field at all.
        _ = try await redis.command(["HDEL", store.userKey(9, "fam:\(first.familyID)"), "tier"])
        #expect(
            try await store.rotate(first, next: RefreshToken.make(userID: 9, familyID: first.familyID), now: 1001, lifetime: 3600, reuseGrace: 0)
                == Self.rotated()
        )
    }

    @Test func aSessionEndsAtItsAbsoluteLifetimeHoweverOftenItRefreshes() async throws {
        let (store, redis) = try Self.store()
        var current = RefreshToken.make(userID: 9)
        try await store.startFamily(current, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        // Refreshed every 50 minutes: each successor lives an hour, until the session's 5000 s run out.
        var outcomes: [RotationOutcome] = []
        for now in stride(from: 1000.0 + 3000, through: 7000, by: 3000) {
            let next = RefreshToken.make(userID: 9, familyID: current.familyID)
            outcomes.append(try await store.rotate(current, next: next, now: now, lifetime: 3600, absoluteLifetime: 5000, reuseGrace: 0))
            current = next
        }
        #expect(outcomes == [Self.rotated(lifetime: 2000), .invalid], "at 4000: 2000 s left of 5000; at 7000: over")
        #expect(try await redis.command(["EXISTS", store.userKey(9, "fam:\(current.familyID)")]).integer == 0, "the family is gone")
    }

    @Test func aNewLoginDropsSessionsThatEndedByThemselvesFromTheSet() async throws {
        let (store, redis) = try Self.store()
        let old = RefreshToken.make(userID: 9)
        try await store.startFamily(old, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        _ = try await redis.command(["DEL", store.userKey(9, "fam:\(old.familyID)")])
        let new = RefreshToken.make(userID: 9)
        try await store.startFamily(new, grant: Self.grant, client: Self.client, now: 2000, lifetime: 3600)
        let members = try await redis.command(["SMEMBERS", store.userKey(9, "families")]).array?.compactMap(\.string) ?? []
        #expect(members == [new.familyID])
    }

    @Test func aNewLoginChecksAtMostEightOfTheUsersSessionsAndListingDropsEveryEndedOne() async throws {
        let (store, redis) = try Self.store()
        let families = store.userKey(9, "families")
        for _ in 0..<20 {
            _ = try await redis.command(["SADD", families, RefreshToken.make(userID: 9).familyID])  // ended: no family key
        }
        try await store.startFamily(RefreshToken.make(userID: 9), grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        #expect(try await redis.command(["SCARD", families]).integer == 20 - 8 + 1)
        #expect(try await store.sessions(userID: 9).count == 1)
        #expect(try await redis.command(["SCARD", families]).integer == 1)
    }

    @Test func aLateRevocationSparesTheSessionsStartedAfterItsMoment() async throws {
        let (store, _) = try Self.store()
        let before = RefreshToken.make(userID: 9)
        try await store.startFamily(before, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let after = RefreshToken.make(userID: 9)
        try await store.startFamily(after, grant: Self.grant, client: Self.client, now: 2000, lifetime: 3600)
        // The revocation happened at 1500 but reaches Redis later.
        #expect(try await store.revokeAll(userID: 9, now: 1500, lifetime: 3600) == 1)
        #expect(
            try await store.rotate(before, next: RefreshToken.make(userID: 9, familyID: before.familyID), now: 2500, lifetime: 3600, reuseGrace: 0)
                == .invalid
        )
        #expect(
            try await store.rotate(after, next: RefreshToken.make(userID: 9, familyID: after.familyID), now: 2500, lifetime: 3600, reuseGrace: 0)
                == .rotated(Self.grant.started(2000), lifetime: 3600)
        )
    }
}

extension RefreshStoreTests {
    /// Sessions are listed newest first from the user's set alone; ending one deletes its
    /// family and marks it for as long as its access tokens could live, which the access-token
    /// check reads.
    @Test func sessionsAreListedAndEndedOneByOneOrAllButOne() async throws {
        let (store, redis) = try Self.store()
        let denylist = RedisAccessTokenDenylist(redis: redis, prefix: store.keys.prefix)
        let old = RefreshToken.make(userID: 9)
        let mid = RefreshToken.make(userID: 9)
        let new = RefreshToken.make(userID: 9)
        try await store.startFamily(old, grant: Self.grant, client: ClientDetails(ip: "192.0.2.1", userAgent: "old"), now: 1000, lifetime: 3600)
        try await store.startFamily(mid, grant: Self.grant, client: ClientDetails(ip: "192.0.2.2", userAgent: "mid"), now: 1001, lifetime: 3600)
        try await store.startFamily(new, grant: Self.grant, client: ClientDetails(ip: "192.0.2.3", userAgent: "new"), now: 1002, lifetime: 3600)
        let listed = try await store.sessions(userID: 9)
        #expect(listed.map(\.userAgent) == ["new", "mid", "old"])
        #expect(listed.map(\.ip) == ["192.0.2.3", "192.0.2.2", "192.0.2.1"])
        #expect(listed.allSatisfy { $0.expiresIn > 3500 && $0.expiresIn <= 3600 && $0.lastUsedAt == $0.createdAt })
        #expect(try await store.sessions(userID: 10).isEmpty)

        #expect(try await store.endSession(userID: 9, familyID: mid.familyID))
        #expect(try await !store.endSession(userID: 9, familyID: mid.familyID), "already ended")
        #expect(try await !store.endSession(userID: 10, familyID: old.familyID), "not that user's")
        #expect(try await !store.endSession(userID: 9, familyID: "../../etc"))
        let marker = try await redis.command(["TTL", store.keys.user(9, "ended:\(mid.familyID)")]).integer ?? 0
        #expect(marker > 900 && marker <= 960)
        #expect(try await !denylist.isAllowed(jti: "j", userID: 9, session: mid.familyID, issuedAt: 1500))
        #expect(try await denylist.isAllowed(jti: "j", userID: 9, session: old.familyID, issuedAt: 1500))
        let next = RefreshToken.make(userID: 9, familyID: mid.familyID)
        #expect(try await store.rotate(mid, next: next, now: 1100, lifetime: 3600, reuseGrace: 0) == .invalid)

        #expect(try await store.endSessions(userID: 9, keeping: new.familyID) == 1)
        #expect(try await store.sessions(userID: 9).map(\.id) == [new.familyID])
        #expect(try await store.endSessions(userID: 9, keeping: nil) == 1)
        #expect(try await store.sessions(userID: 9).isEmpty)
        #expect(try await !denylist.isAllowed(jti: "j", userID: 9, session: new.familyID, issuedAt: 1500))
    }
}

extension RefreshStoreTests {
    /// A user holds at most the cap of live sessions: a login beyond it ends the least recently
    /// used (its refresh token fails, its access tokens are refused), and ended families do not count.
    @Test func aLoginBeyondTheCapEndsTheLeastRecentlyUsedSession() async throws {
        let (store, redis) = try Self.store(maximumSessions: 3)
        let denylist = RedisAccessTokenDenylist(redis: redis, prefix: store.keys.prefix)
        let families = store.userKey(9, "families")
        var started: [RefreshToken] = []
        for index in 0..<3 {
            let token = RefreshToken.make(userID: 9)
            #expect(try await store.startFamily(token, grant: Self.grant, client: Self.client, now: 1000 + Double(index), lifetime: 3600) == 0)
            started.append(token)
        }
        // The first session is in use: refreshed after the others started.
        let refreshed = RefreshToken.make(userID: 9, familyID: started[0].familyID)
        #expect(try await store.rotate(started[0], next: refreshed, now: 1005, lifetime: 3600, reuseGrace: 0) != .invalid)
        // Ended families left in the set (they ended by themselves) are dropped, not counted.
        for _ in 0..<5 { _ = try await redis.command(["SADD", families, RefreshToken.make(userID: 9).familyID]) }

        let fourth = RefreshToken.make(userID: 9)
        #expect(try await store.startFamily(fourth, grant: Self.grant, client: Self.client, now: 1010, lifetime: 3600) == 1)
        #expect(try await redis.command(["SCARD", families]).integer == 3, "the set holds the cap")
        let listed = try await store.sessions(userID: 9).map(\.id)
        #expect(listed == [fourth.familyID, started[2].familyID, started[0].familyID])
        let idle = started[1]
        let next = RefreshToken.make(userID: 9, familyID: idle.familyID)
        #expect(try await store.rotate(idle, next: next, now: 1020, lifetime: 3600, reuseGrace: 0) == .invalid, "the idle one ended")
        #expect(try await !denylist.isAllowed(jti: "j", userID: 9, session: idle.familyID, issuedAt: 1005), "and its access tokens")
        #expect(try await denylist.isAllowed(jti: "j", userID: 9, session: started[0].familyID, issuedAt: 1005))

        // A set from before the cap (far over it) is trimmed to it by the next login.
        for index in 0..<20 {
            let token = RefreshToken.make(userID: 9)
            _ = try await redis.command(["HSET", store.userKey(9, "fam:\(token.familyID)"), "created", String(900 + index)])
            _ = try await redis.command(["SADD", families, token.familyID])
        }
        let late = RefreshToken.make(userID: 9)
        #expect(try await store.startFamily(late, grant: Self.grant, client: Self.client, now: 1030, lifetime: 3600) == 21)
        #expect(try await store.sessions(userID: 9).map(\.id) == [late.familyID, fourth.familyID, started[0].familyID])
    }
}
