import Foundation
import Logging
import ServiceSupport
import Testing
@testable import TokenService

@Suite("Refresh families on the real Redis")
struct RefreshStoreTests {
    /// A store with its own key prefix, so tests never see each other's keys.
    static func store() throws -> (RedisRefreshTokenStore, RedisClient) {
        var logger = Logger(label: "redis-test")
        logger.logLevel = .critical
        let redis = RedisClient(
            endpoint: try RedisEndpoint(url: TestServices.redisURL),
            connections: 2,
            logger: logger
        )
        let prefix = "test-\(UUID().uuidString.prefix(8))"
        return (RedisRefreshTokenStore(redis: redis, refreshSecret: "a-refresh-secret-of-at-least-32-characters", prefix: prefix), redis)
    }

    static let grant = SessionGrant(userID: 9, username: "john_doe", role: "user", scope: "profile:read")
    static let client = ClientDetails(ip: "127.0.0.1", userAgent: "tests")

    @Test func aTokenRotatesOnceAndItsReuseRevokesTheFamily() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)

        let second = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: second, now: 1001, lifetime: 3600, reuseGrace: 0) == .rotated(Self.grant))

        let stolen = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: stolen, now: 1002, lifetime: 3600, reuseGrace: 0) == .reused(userID: 9))

        let third = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(second, next: third, now: 1003, lifetime: 3600, reuseGrace: 0) == .invalid, "the whole family is revoked")
        #expect(try await store.rotate(stolen, next: third, now: 1003, lifetime: 3600, reuseGrace: 0) == .invalid)
    }

    @Test func reuseWithinTheGraceIsNotTheft() async throws {
        let (store, _) = try Self.store()
        let first = RefreshToken.make(userID: 9)
        try await store.startFamily(first, grant: Self.grant, client: Self.client, now: 1000, lifetime: 3600)
        let tabA = RefreshToken.make(userID: 9, familyID: first.familyID)
        let tabB = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: tabA, now: 1001, lifetime: 3600, reuseGrace: 5) == .rotated(Self.grant))
        #expect(try await store.rotate(first, next: tabB, now: 1003, lifetime: 3600, reuseGrace: 5) == .rotated(Self.grant))
        let late = RefreshToken.make(userID: 9, familyID: first.familyID)
        #expect(try await store.rotate(first, next: late, now: 1010, lifetime: 3600, reuseGrace: 5) == .reused(userID: 9))
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
        #expect(outcomes.filter { $0 == .rotated(Self.grant) }.count == 1)
        #expect(outcomes.filter { $0 != .rotated(Self.grant) }.count == 199)
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
        let keys = try await redis.command(["KEYS", "\(store.prefix):*"]).array?.compactMap(\.string) ?? []
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
        #expect(try await store.isAccessTokenAllowed(jti: "a", userID: 9, issuedAt: 1000))
        try await store.denyAccessToken(jti: "a", userID: 9, expiresAt: WallClock.now() + 60, now: WallClock.now())
        #expect(try await !store.isAccessTokenAllowed(jti: "a", userID: 9, issuedAt: 1000))
        _ = try await redis.command(["SET", store.userKey(9, "epoch"), "1000.500"])
        #expect(try await !store.isAccessTokenAllowed(jti: "b", userID: 9, issuedAt: 1000.499))
        #expect(try await store.isAccessTokenAllowed(jti: "b", userID: 9, issuedAt: 1000.501))
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
            try await store.rotate(phone, next: phoneNext, now: 1001, lifetime: 3600, reuseGrace: 0) == .rotated(pro),
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
                == .rotated(gold)
        )
        var laptopGold = Self.grant
        laptopGold.tier = "Gold"
        #expect(
            try await store.rotate(laptop, next: RefreshToken.make(userID: 9, familyID: laptop.familyID), now: 1002, lifetime: 3600, reuseGrace: 0)
                == .rotated(laptopGold)
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
                == .rotated(Self.grant)
        )
    }
}
