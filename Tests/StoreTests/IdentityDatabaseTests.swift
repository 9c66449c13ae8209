import ServiceTesting
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import WireProtocol
import WireTransport
import WireTesting
@testable import IdentityService

@Suite("Identity on the real PostgreSQL")
struct IdentityDatabaseTests {
    @Test func migrationsRunOnceEvenFromTwoRunnersAtOnce() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        var logger = Logger(label: "m")
        logger.logLevel = .critical
        // The schema is migrated already; two more runners at once apply nothing and do not fail.
        async let first = MigrationRunner(pool: database.pool, logger: logger).run()
        async let second = MigrationRunner(pool: database.pool, logger: logger).run()
        let (a, b) = try await (first, second)
        #expect(a.isEmpty && b.isEmpty)
    }

    @Test func twentyConcurrentRegistrationsOfOneNameYieldExactlyOneUser() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try IdentityFixtures.operations(database)
        let results = await withTaskGroup(of: Result<WireUser, any Error>.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        return .success(
                            try await operations.register(
                                IdentityFixtures.registration("racer", email: "racer\(index)@example.com"),
                                IdentityFixtures.context
                            )
                        )
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<WireUser, any Error>] = []
            for await result in group { results.append(result) }
            return results
        }
        let successes = results.filter { if case .success = $0 { true } else { false } }
        let conflicts = results.filter { if case .failure(IdentityError.usernameTaken) = $0 { true } else { false } }
        #expect(successes.count == 1)
        #expect(conflicts.count == 19)
    }

    @Test func usernamesAndEmailsAreUniqueWhateverTheirCase() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try IdentityFixtures.operations(database)
        let user = try await operations.register(IdentityFixtures.registration("John_Doe", email: "John@Example.com"), IdentityFixtures.context)
        #expect(user.email == "john@example.com")
        #expect(user.role == "user" && user.isActive)
        await #expect(throws: IdentityError.usernameTaken) {
            _ = try await operations.register(IdentityFixtures.registration("john_doe", email: "other@example.com"), IdentityFixtures.context)
        }
        await #expect(throws: IdentityError.emailTaken) {
            _ = try await operations.register(IdentityFixtures.registration("someone", email: "JOHN@example.COM"), IdentityFixtures.context)
        }
    }

    @Test func loginByUsernameOrEmailInAnyCase() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try IdentityFixtures.operations(database)
        let user = try await operations.register(IdentityFixtures.registration("jane"), IdentityFixtures.context)
        for login in ["jane", "JANE", "jane@example.com", "Jane@Example.com"] {
            let found = try await operations.verifyCredentials(IdentityFixtures.login(login, "StrongPass123"), IdentityFixtures.context)
            #expect(found.id == user.id)
        }
    }

    @Test func unknownUserWrongPasswordAndInactiveAccountAllLookTheSame() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        // Real OWASP parameters, so the time is Argon2's and not noise.
        let operations = try IdentityFixtures.operations(database, parameters: .owasp)
        _ = try await operations.register(IdentityFixtures.registration("timing"), IdentityFixtures.context)
        _ = try await operations.register(IdentityFixtures.registration("sleeper"), IdentityFixtures.context)
        try await database.execute("UPDATE users SET is_active = false WHERE username = 'sleeper'")

        func attempt(_ login: String, _ password: String) async -> (IdentityError?, Duration) {
            let started = ContinuousClock.now
            do {
                _ = try await operations.verifyCredentials(IdentityFixtures.login(login, password), IdentityFixtures.context)
                return (nil, ContinuousClock.now - started)
            } catch {
                return (error as? IdentityError, ContinuousClock.now - started)
            }
        }
        var unknown: [Duration] = []
        var wrong: [Duration] = []
        for round in 0..<4 {
            let (unknownError, unknownTime) = await attempt("nobody-\(round)", "StrongPass123")
            let (wrongError, wrongTime) = await attempt("timing", "WrongPass\(round)")
            let (inactiveError, _) = await attempt("sleeper", "StrongPass123")
            #expect(unknownError == .invalidCredentials)
            #expect(wrongError == .invalidCredentials)
            #expect(inactiveError == .invalidCredentials, "an inactive account with the right password is refused the same way")
            unknown.append(unknownTime)
            wrong.append(wrongTime)
        }
        // Both pay one Argon2 verify: the medians are of the same order (loose: the machine is shared).
        let medianUnknown = unknown.sorted()[2]
        let medianWrong = wrong.sorted()[2]
        #expect(medianUnknown > medianWrong / 3 && medianUnknown < medianWrong * 3, "unknown \(medianUnknown) vs wrong \(medianWrong)")
    }

    @Test func fiveFailuresLockTheAccountUntilTheLockRunsOut() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let clock = ManualClock()
        let operations = try IdentityFixtures.operations(database, clock: clock)
        _ = try await operations.register(IdentityFixtures.registration("locky"), IdentityFixtures.context)
        for _ in 0..<5 {
            await #expect(throws: IdentityError.invalidCredentials) {
                _ = try await operations.verifyCredentials(IdentityFixtures.login("locky", "WrongPass123"), IdentityFixtures.context)
            }
        }
        await #expect(throws: IdentityError.invalidCredentials, "locked: even the right password is refused") {
            _ = try await operations.verifyCredentials(IdentityFixtures.login("locky", "StrongPass123"), IdentityFixtures.context)
        }
        clock.advance(29 * 60)
        await #expect(throws: IdentityError.invalidCredentials) {
            _ = try await operations.verifyCredentials(IdentityFixtures.login("locky", "StrongPass123"), IdentityFixtures.context)
        }
        clock.advance(2 * 60)
        _ = try await operations.verifyCredentials(IdentityFixtures.login("locky", "StrongPass123"), IdentityFixtures.context)

        // Success reset the counter: four more failures do not lock.
        for _ in 0..<4 {
            _ = try? await operations.verifyCredentials(IdentityFixtures.login("locky", "WrongPass123"), IdentityFixtures.context)
        }
        _ = try await operations.verifyCredentials(IdentityFixtures.login("locky", "StrongPass123"), IdentityFixtures.context)
    }

    @Test func aHashMadeWithOtherParametersIsUpgradedAtLogin() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let old = try IdentityFixtures.operations(database, parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let user = try await old.register(IdentityFixtures.registration("upgrade"), IdentityFixtures.context)
        let stored = { try await PostgresUserStore(pool: database.pool).find(id: user.id)?.passwordHash ?? "" }
        #expect(try await stored().contains("m=1024,t=1,p=1"))

        let current = try IdentityFixtures.operations(database, parameters: Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1))
        _ = try await current.verifyCredentials(IdentityFixtures.login("upgrade", "StrongPass123"), IdentityFixtures.context)
        #expect(try await stored().contains("m=2048,t=2,p=1"))
        _ = try await current.verifyCredentials(IdentityFixtures.login("upgrade", "StrongPass123"), IdentityFixtures.context)
    }

    @Test func policyAndLengthAreCheckedBeforeAnyHashing() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let hasher = CountingHasher(Argon2PasswordHasher(backend: .libsodium, parameters: IdentityFixtures.light))
        let operations = try IdentityOperations(
            users: PostgresUserStore(pool: database.pool),
            apiKeys: PostgresAPIKeyStore(pool: database.pool),
            apiKeySecret: "an-api-key-secret-of-at-least-32-characters",
            hasher: hasher,
            hashingPool: BlockingPool(threads: 1, maximumPending: 10),
            rules: RegistrationRules(),
            lockout: LockoutPolicy()
        )
        let before = hasher.calls
        await #expect(throws: IdentityError.invalidField(field: "password", reason: "must be at most 128 characters")) {
            _ = try await operations.verifyCredentials(IdentityFixtures.login("x", String(repeating: "A", count: 129)), IdentityFixtures.context)
        }
        await #expect(throws: IdentityError.invalidField(field: "password", reason: "must be at least 8 characters")) {
            _ = try await operations.register(IdentityFixtures.registration("weakling", password: "weak"), IdentityFixtures.context)
        }
        await #expect(throws: IdentityError.invalidField(field: "username", reason: "must be 3 to 50 characters")) {
            _ = try await operations.register(IdentityFixtures.registration("ab"), IdentityFixtures.context)
        }
        #expect(hasher.calls == before, "nothing was hashed or verified")
    }
}

/// Counts hash and verify calls of the hasher it wraps.
final class CountingHasher: PasswordHasher {
    let inner: Argon2PasswordHasher
    private let count = Mutex(0)
    init(_ inner: Argon2PasswordHasher) { self.inner = inner }
    var calls: Int { self.count.withLock { $0 } }
    var parameters: Argon2Parameters { self.inner.parameters }
    func hash(_ password: String) throws(PasswordHashError) -> String {
        self.count.withLock { $0 += 1 }
        return try self.inner.hash(password)
    }
    func verify(_ password: String, against phc: String) -> Bool {
        self.count.withLock { $0 += 1 }
        return self.inner.verify(password, against: phc)
    }
}
