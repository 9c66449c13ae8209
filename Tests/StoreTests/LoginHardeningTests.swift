import ServiceTesting
import Foundation
import Logging
import ServiceRuntime
import Synchronization
import Testing
import WireProtocol
import WireTesting
@testable import IdentityService

/// A store whose login reads return the row as it was before other logins changed it: what a
/// login sees when guesses run at the same time and one of them locks the account meanwhile.
/// Counts its login reads.
struct StaleReadStore: UserStore {
    let base: PostgresUserStore
    let loginReads = Counter()
    func find(login: String) async throws -> UserRecord? {
        self.loginReads.increment()
        guard var record = try await self.base.find(login: login) else { return nil }
        record.lockedUntil = nil
        record.failedLoginAttempts = 0
        record.lastLoginAt = WallClock.now()
        return record
    }
    func create(_ user: NewUser) async throws -> UserRecord { try await self.base.create(user) }
    func find(id: Int64) async throws -> UserRecord? { try await self.base.find(id: id) }
    func find(email: String) async throws -> UserRecord? { try await self.base.find(email: email) }
    func markVerified(id: Int64, email: String) async throws -> UserRecord? { try await self.base.markVerified(id: id, email: email) }
    func recordFailedLogin(id: Int64, maximumAttempts: Int, now: Double, lockUntil: Double) async throws -> Bool {
        try await self.base.recordFailedLogin(id: id, maximumAttempts: maximumAttempts, now: now, lockUntil: lockUntil)
    }
    func admitLogin(id: Int64, now: Double, rehashed: String?, recordLogin: Bool) async throws -> Bool {
        try await self.base.admitLogin(id: id, now: now, rehashed: rehashed, recordLogin: recordLogin)
    }
    func changePassword(id: Int64, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.base.changePassword(id: id, hash: hash, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
    func resetPassword(id: Int64, email: String, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.base.resetPassword(id: id, email: email, hash: hash, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
    func updateProfile(id: Int64, fullName: String?, email: String?) async throws -> UserRecord? {
        try await self.base.updateProfile(id: id, fullName: fullName, email: email)
    }
    func endAllSessions(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.base.endAllSessions(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
    func deactivate(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.base.deactivate(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
    func list(skip: Int64, limit: Int) async throws -> [UserRecord] { try await self.base.list(skip: skip, limit: limit) }
    func changeRole(id: Int64, role: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.base.changeRole(id: id, role: role, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
    func setTier(id: Int64, tier: String?) async throws -> UserRecord? { try await self.base.setTier(id: id, tier: tier) }
    func statistics() async throws -> UserStatistics { try await self.base.statistics() }
    func pendingRevocations(limit: Int) async throws -> [(userID: Int64, tokensValidAfterMilliseconds: Int64)] {
        try await self.base.pendingRevocations(limit: limit)
    }
    func confirmRevocation(id: Int64, tokensValidAfterMilliseconds: Int64) async throws {
        try await self.base.confirmRevocation(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
}

/// Keeps what was recorded.
final class RecordingAuditStore: AuditStore {
    let events = Mutex<[AuditEvent]>([])
    func insert(_ events: [AuditEvent]) async throws { self.events.withLock { $0 += events } }
}

@Suite("Login hardening on the real PostgreSQL")
struct LoginHardeningTests {
    @Test func aRightPasswordDoesNotClearALockSetWhileItWasHashed() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let setUp = try IdentityFixtures.operations(database)
        _ = try await setUp.register(IdentityFixtures.registration("racer"), IdentityFixtures.context)
        let base = try IdentityFixtures.operations(database)
        let operations = try IdentityOperations(
            users: StaleReadStore(base: PostgresUserStore(pool: database.pool)),
            apiKeys: base.apiKeys,
            apiKeySecret: "an-api-key-secret-of-at-least-32-characters",
            hasher: base.hasher,
            hashingPool: base.hashingPool,
            rules: base.rules,
            lockout: base.lockout
        )
        // Other guesses locked the account after this login read the row.
        try await database.execute("UPDATE users SET locked_until = now() + interval '30 minutes' WHERE username = 'racer'")
        await #expect(throws: IdentityError.invalidCredentials) {
            _ = try await operations.verifyCredentials(IdentityFixtures.login("racer", "StrongPass123"), IdentityFixtures.context)
        }
        let lockedUntil = try await database.pool.withConnection {
            try $0.query(PreparedStatement(name: "locked", sql: "SELECT locked_until IS NOT NULL FROM users WHERE username = 'racer'")).rows
        }
        #expect(lockedUntil.first?.first == "t", "the lock stays")
        // Once it runs out, the same password is admitted.
        try await database.execute("UPDATE users SET locked_until = now() - interval '1 second' WHERE username = 'racer'")
        _ = try await operations.verifyCredentials(IdentityFixtures.login("racer", "StrongPass123"), IdentityFixtures.context)
    }

    @Test func aPasswordTypedAgainIsRefusedWhenTheAccountWasLockedAfterItsRowWasRead() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try IdentityFixtures.operations(database)
        let user = try await operations.register(IdentityFixtures.registration("confirmer"), IdentityFixtures.context)
        let readBefore = try #require(try await operations.users.find(id: user.id))
        // Guesses at the same time locked the account after the row was read.
        try await database.execute("UPDATE users SET locked_until = now() + interval '30 minutes' WHERE id = \(user.id)")
        await #expect(throws: IdentityError.wrongCurrentPassword) {
            try await operations.confirmPassword("StrongPass123", of: readBefore, WireClientInfo(), IdentityFixtures.context)
        }
        try await database.execute("UPDATE users SET locked_until = now() - interval '1 second' WHERE id = \(user.id)")
        try await operations.confirmPassword("StrongPass123", of: readBefore, WireClientInfo(), IdentityFixtures.context)
    }

    @Test func aLoginIsRefusedBeforeItsDatabaseReadWhenNoHashCanRunNow() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let base = try IdentityFixtures.operations(database)
        _ = try await base.register(IdentityFixtures.registration("crowd"), IdentityFixtures.context)
        let store = StaleReadStore(base: PostgresUserStore(pool: database.pool))
        let pool = BlockingPool(name: "full", threads: 1, maximumPending: 1)
        let operations = try IdentityOperations(
            users: store,
            apiKeys: base.apiKeys,
            apiKeySecret: "an-api-key-secret-of-at-least-32-characters",
            hasher: base.hasher,
            hashingPool: pool,
            rules: base.rules,
            lockout: base.lockout
        )
        let release = Mutex(false)
        let busy = Task { try await pool.run { while !release.withLock({ $0 }) { usleep(1000) } } }
        try await waitUntil("the pool is full", interval: .milliseconds(2)) { pool.pending == 1 }
        var resolve = WireResolveLoginRequest()
        resolve.login = "crowd"
        await #expect(throws: IdentityError.overloaded) { _ = try await operations.resolveLogin(resolve) }
        await #expect(throws: IdentityError.overloaded) {
            _ = try await operations.verifyCredentials(IdentityFixtures.login("crowd", "StrongPass123"), IdentityFixtures.context)
        }
        #expect(store.loginReads.value == 0, "refused before the user was read")
        release.withLock { $0 = true }
        try await busy.value
        _ = try await operations.verifyCredentials(IdentityFixtures.login("crowd", "StrongPass123"), IdentityFixtures.context)
        #expect(store.loginReads.value == 1)
    }

    @Test func aLoginThatMatchesNoUserIsAuditedOnlyAsADigest() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = RecordingAuditStore()
        var logger = Logger(label: "audit")
        logger.logLevel = .critical
        let audit = AuditLog(store: store, logger: logger)
        let base = try IdentityFixtures.operations(database)
        let operations = try IdentityOperations(
            users: base.users,
            apiKeys: base.apiKeys,
            apiKeySecret: "an-api-key-secret-of-at-least-32-characters",
            audit: audit,
            hasher: base.hasher,
            hashingPool: base.hashingPool,
            rules: base.rules,
            lockout: base.lockout
        )
        let running = Task { try await audit.run() }
        defer { running.cancel() }
        // A password typed into the name field, twice.
        for _ in 0..<2 {
            await #expect(throws: IdentityError.invalidCredentials) {
                _ = try await operations.verifyCredentials(IdentityFixtures.login("Tr0ub4dor&3", "whatever123A"), IdentityFixtures.context)
            }
        }
        var events: [AuditEvent] = []
        for _ in 0..<50 where events.count < 2 {
            try await Task.sleep(for: .milliseconds(50))
            events = store.events.withLock { $0 }
        }
        #expect(events.count == 2)
        for event in events {
            #expect(event.username == nil)
            #expect(!"\(event)".contains("Tr0ub4dor"), "the raw login is kept nowhere")
            #expect(event.detail["login_digest"]?.count == 32)
        }
        #expect(events.first?.detail["login_digest"] == events.last?.detail["login_digest"], "repeated attempts at one name stay linked")
    }

    @Test func aNewEmailNeedsThePasswordAndIsNoLongerVerified() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try IdentityFixtures.operations(database)
        let user = try await operations.register(IdentityFixtures.registration("mover"), IdentityFixtures.context)
        try await database.execute("UPDATE users SET is_verified = true WHERE id = \(user.id)")
        var rename = WireUpdateProfileRequest()
        rename.userID = user.id
        rename.fullName = "Mover"
        #expect(try await operations.updateProfile(rename, IdentityFixtures.context).isVerified, "a new name keeps the address verified")

        var move = WireUpdateProfileRequest()
        move.userID = user.id
        move.email = "elsewhere@example.com"
        await #expect(throws: IdentityError.invalidField(field: "current_password", reason: "field required to change the email")) {
            _ = try await operations.updateProfile(move, IdentityFixtures.context)
        }
        move.currentPassword = "WrongPass123"
        await #expect(throws: IdentityError.wrongCurrentPassword) { _ = try await operations.updateProfile(move, IdentityFixtures.context) }
        move.currentPassword = "StrongPass123"
        let moved = try await operations.updateProfile(move, IdentityFixtures.context)
        #expect(moved.email == "elsewhere@example.com")
        #expect(!moved.isVerified, "the new address is not verified")
        let failures = try await database.pool.withConnection {
            try $0.query(PreparedStatement(name: "fails", sql: "SELECT failed_login_attempts FROM users WHERE id = \(user.id)")).rows
        }
        #expect(failures.first?.first == "1", "the wrong password counted toward the lockout")
    }
}
