import ServiceTesting
import Foundation
import Logging
import NIOHTTP1
import Testing
import WireTesting
@testable import IdentityService

/// The user cache against the real PostgreSQL: changes made anywhere reach it through the
/// `users_changed` notifications, and a lost listener turns it off rather than letting it lie.
@Suite("User cache on the real PostgreSQL")
struct UserCacheDatabaseTests {
    /// One identity instance's view: a store in front of a cache, and the listener feeding it.
    struct Instance {
        let cache: UserCache
        let users: CachedUserStore
        let listener: Task<Void, any Error>
        let applicationName: String

        init(_ database: TestDatabase) {
            var logger = Logger(label: "user-cache-test")
            logger.logLevel = .critical
            self.applicationName = "listener_" + UUID().uuidString.prefix(8).lowercased()
            self.cache = UserCache(capacity: 1000, lifetime: .seconds(60))
            self.users = CachedUserStore(base: PostgresUserStore(pool: database.pool), cache: self.cache)
            let listener = UserChangeListener(
                url: database.url + "&application_name=\(self.applicationName)",
                cache: self.cache,
                pollInterval: .milliseconds(100),
                logger: logger
            )
            self.listener = Task { try await listener.run() }
        }

        func waitUntilFollowing() async throws {
            try await waitUntil("the listener follows changes", within: .seconds(20)) { self.cache.ticket() != nil }
        }

        func stop() async {
            self.listener.cancel()
            _ = await self.listener.result
        }
    }

    static func newUser(_ users: any UserStore, _ name: String) async throws -> UserRecord {
        try await users.create(
            NewUser(username: name, email: "\(name)@example.com", fullName: "Before", passwordHash: "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA")
        )
    }

    @Test func aChangeMadeOutsideIdentityReachesTheCache() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let instance = Instance(database)
        defer { Task { await instance.stop() } }
        try await instance.waitUntilFollowing()
        let user = try await Self.newUser(instance.users, "outside")

        #expect(try await instance.users.find(id: user.id)?.fullName == "Before")
        #expect(instance.cache.user(user.id) != nil, "read once, kept")
        // The same id changing in another schema of the database is someone else's user.
        let neighbour = try await TestDatabase()
        defer { Task { await neighbour.drop() } }
        let other = try await Self.newUser(PostgresUserStore(pool: neighbour.pool), "neighbour")
        #expect(other.id == user.id)
        try await neighbour.execute("UPDATE users SET full_name = 'Elsewhere' WHERE id = \(other.id)")
        try await Task.sleep(for: .milliseconds(300))
        #expect(instance.cache.user(user.id)?.fullName == "Before", "a change in another schema is not ours")
        // As an operator with psql would: no identity code involved.
        try await database.execute("UPDATE users SET full_name = 'After' WHERE id = \(user.id)")
        try await waitUntil("the change is seen", within: .seconds(20)) { try await instance.users.find(id: user.id)?.fullName == "After" }
        try await database.execute("DELETE FROM users WHERE id = \(user.id)")
        try await waitUntil("the deletion is seen", within: .seconds(20)) { try await instance.users.find(id: user.id) == nil }
    }

    @Test func aWriteIsSeenAtOnceByItsInstanceAndSoonByTheOthers() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let first = Instance(database)
        let second = Instance(database)
        defer {
            Task {
                await first.stop(); await second.stop()
            }
        }
        try await first.waitUntilFollowing()
        try await second.waitUntilFollowing()
        let user = try await Self.newUser(first.users, "twice")
        #expect(try await first.users.find(id: user.id)?.isActive == true)
        #expect(try await second.users.find(id: user.id)?.isActive == true)

        _ = try await first.users.deactivate(id: user.id, tokensValidAfterMilliseconds: 1)
        #expect(try await first.users.find(id: user.id)?.isActive == false, "the writing instance never answers from before its write")
        try await waitUntil("the other instance sees the deactivation", within: .seconds(20)) {
            try await second.users.find(id: user.id)?.isActive == false
        }
        _ = try await second.users.changeRole(id: user.id, role: "moderator", tokensValidAfterMilliseconds: 2)
        #expect(try await second.users.find(id: user.id)?.role == "moderator")
        try await waitUntil("the first instance sees the role", within: .seconds(20)) { try await first.users.find(id: user.id)?.role == "moderator" }
    }

    @Test func aLostListenerTurnsTheCacheOffUntilItListensAgain() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let instance = Instance(database)
        defer { Task { await instance.stop() } }
        try await instance.waitUntilFollowing()
        let user = try await Self.newUser(instance.users, "lost")
        _ = try await instance.users.find(id: user.id)
        #expect(instance.cache.count == 1)

        // The listener's connection dies; the change below is notified to nobody.
        try await database.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '\(instance.applicationName)'")
        try await database.execute("UPDATE users SET full_name = 'Missed' WHERE id = \(user.id)")
        try await waitUntil("the missed change is still seen", within: .seconds(20)) {
            try await instance.users.find(id: user.id)?.fullName == "Missed"
        }
        try await waitUntil("the listener is back and the cache keeps users again", within: .seconds(20)) {
            _ = try await instance.users.find(id: user.id)
            return instance.cache.count == 1
        }
        try await database.execute("UPDATE users SET full_name = 'Heard' WHERE id = \(user.id)")
        try await waitUntil("changes are heard again", within: .seconds(20)) { try await instance.users.find(id: user.id)?.fullName == "Heard" }
    }
}
