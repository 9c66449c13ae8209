@testable import IdentityService
import Synchronization
import Testing

@Suite("UserCache")
struct UserCacheTests {
    static func user(_ id: Int64, name: String = "alice") -> UserRecord {
        UserRecord(
            id: id,
            username: name,
            email: "\(name)@example.com",
            fullName: nil,
            passwordHash: "$argon2id$x",
            role: "user",
            isActive: true,
            isVerified: false,
            isDeleted: false,
            failedLoginAttempts: 0,
            lockedUntil: nil,
            createdAt: "2026-01-01T00:00:00.000000Z",
            lastLoginAt: nil
        )
    }

    static func following(capacity: Int = 100, lifetime: Duration = .seconds(60)) -> UserCache {
        let cache = UserCache(capacity: capacity, lifetime: lifetime)
        cache.setFollowingChanges(true)
        return cache
    }

    @Test func keepsWhatWasReadAndForgetsWhatChanged() throws {
        let cache = Self.following()
        cache.store(Self.user(1), ticket: try #require(cache.ticket()))
        #expect(cache.user(1)?.username == "alice")
        cache.invalidate(1)
        #expect(cache.user(1) == nil)
    }

    @Test func aReadThatStraddlesAChangeOfItsUserIsNotKept() throws {
        let cache = Self.following()
        let ticket = try #require(cache.ticket())
        // Read, then a change to another user was seen before the read came back: keep it.
        cache.invalidate(7)
        cache.store(Self.user(1), ticket: ticket)
        #expect(cache.user(1) != nil)
        // Read, then a change to this user: a row from before the change is not kept.
        let second = try #require(cache.ticket())
        cache.invalidate(2)
        cache.invalidate(8)
        cache.store(Self.user(2), ticket: second)
        #expect(cache.user(2) == nil)
        cache.store(Self.user(2), ticket: try #require(cache.ticket()))
        #expect(cache.user(2) != nil)
    }

    @Test func aReadThatStraddlesTooManyChangesOrAResetIsNotKept() throws {
        let cache = Self.following()
        let early = try #require(cache.ticket())
        for id in 1...Int64(UserCache.recentLimit + 1) { cache.invalidate(id + 1000) }
        cache.store(Self.user(1), ticket: early)
        #expect(cache.user(1) == nil, "more changes than remembered: the read cannot be judged")
        let beforeReset = try #require(cache.ticket())
        cache.invalidateAll()
        cache.store(Self.user(1), ticket: beforeReset)
        #expect(cache.user(1) == nil)
    }

    @Test func nothingIsKeptOrAnsweredWhileChangesAreNotFollowed() throws {
        let cache = Self.following()
        let early = try #require(cache.ticket())
        cache.store(Self.user(1), ticket: early)
        cache.setFollowingChanges(false)
        #expect(cache.ticket() == nil)
        #expect(cache.user(1) == nil, "notifications may be missed: the cache is off")
        cache.store(Self.user(2), ticket: early)
        cache.setFollowingChanges(true)
        #expect(cache.user(1) == nil && cache.user(2) == nil, "following again starts empty")
        #expect(cache.count == 0)
    }

    @Test func entriesExpire() throws {
        let clock = Mutex(ContinuousClock.now)
        let cache = UserCache(capacity: 100, lifetime: .seconds(60), now: { clock.withLock { $0 } })
        cache.setFollowingChanges(true)
        cache.store(Self.user(1), ticket: try #require(cache.ticket()))
        clock.withLock { $0 += .seconds(59) }
        #expect(cache.user(1) != nil)
        clock.withLock { $0 += .seconds(1) }
        #expect(cache.user(1) == nil)
    }

    @Test func holdsAtMostItsCapacity() throws {
        let cache = Self.following(capacity: 3)
        for id in 1...10 { cache.store(Self.user(Int64(id)), ticket: try #require(cache.ticket())) }
        #expect(cache.count == 3)
        #expect(cache.user(10) != nil, "the newest is kept")
        cache.invalidateAll()
        #expect(cache.count == 0)
    }
}
