import ServiceTesting
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import WireProtocol
import WireTransport
@testable import IdentityService

/// A clock a test moves by hand.
final class ManualClock: Sendable {
    private let seconds = Mutex<Double>(1_800_000_000)
    var now: Double { self.seconds.withLock { $0 } }
    func advance(_ by: Double) { self.seconds.withLock { $0 += by } }
}

@Suite("Identity on the real PostgreSQL")
struct IdentityDatabaseTests {
    static let light = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    static func operations(_ database: TestDatabase, parameters: Argon2Parameters = light, clock: ManualClock? = nil) throws -> IdentityOperations {
        let now: @Sendable () -> Double
        if let clock {
            now = { clock.now }
        } else {
            now = IdentityOperations.wallClock
        }
        return try IdentityOperations(
            users: PostgresUserStore(pool: database.pool),
            apiKeys: PostgresAPIKeyStore(pool: database.pool),
            apiKeySecret: "an-api-key-secret-of-at-least-32-characters",
            hasher: Argon2PasswordHasher(backend: .libsodium, parameters: parameters),
            hashingPool: BlockingPool(threads: 2, maximumPending: 1000),
            rules: RegistrationRules(),
            lockout: LockoutPolicy(maximumAttempts: 5, durationSeconds: 1800),
            now: now
        )
    }

    static var context: WireRequest {
        var logger = Logger(label: "identity-test")
        logger.logLevel = .critical
        return WireRequest(
            header: FrameHeader(kind: .request, code: 0, correlationID: 1),
            payload: ByteBuffer(),
            deadline: .now() + .seconds(30),
            logger: logger
        )
    }

    static func registration(_ username: String, email: String? = nil, password: String = "StrongPass123") -> WireRegisterRequest {
        var request = WireRegisterRequest()
        request.username = username
        request.email = email ?? "\(username)@example.com"
        request.password = password
        return request
    }

    static func login(_ login: String, _ password: String) -> WireVerifyCredentialsRequest {
        var request = WireVerifyCredentialsRequest()
        request.login = login
        request.password = password
        return request
    }

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
        let operations = try Self.operations(database)
        let results = await withTaskGroup(of: Result<WireUser, any Error>.self) { group in
            for index in 0..<20 {
                group.addTask {
                    do {
                        return .success(try await operations.register(Self.registration("racer", email: "racer\(index)@example.com"), Self.context))
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
        let operations = try Self.operations(database)
        let user = try await operations.register(Self.registration("John_Doe", email: "John@Example.com"), Self.context)
        #expect(user.email == "john@example.com")
        #expect(user.role == "user" && user.isActive)
        await #expect(throws: IdentityError.usernameTaken) {
            _ = try await operations.register(Self.registration("john_doe", email: "other@example.com"), Self.context)
        }
        await #expect(throws: IdentityError.emailTaken) {
            _ = try await operations.register(Self.registration("someone", email: "JOHN@example.COM"), Self.context)
        }
    }

    @Test func loginByUsernameOrEmailInAnyCase() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let operations = try Self.operations(database)
        let user = try await operations.register(Self.registration("jane"), Self.context)
        for login in ["jane", "JANE", "jane@example.com", "Jane@Example.com"] {
            let found = try await operations.verifyCredentials(Self.login(login, "StrongPass123"), Self.context)
            #expect(found.id == user.id)
        }
    }

    @Test func unknownUserWrongPasswordAndInactiveAccountAllLookTheSame() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        // Real OWASP parameters, so the time is Argon2's and not noise.
        let operations = try Self.operations(database, parameters: .owasp)
        _ = try await operations.register(Self.registration("timing"), Self.context)
        _ = try await operations.register(Self.registration("sleeper"), Self.context)
        try await database.execute("UPDATE users SET is_active = false WHERE username = 'sleeper'")

        func attempt(_ login: String, _ password: String) async -> (IdentityError?, Duration) {
            let started = ContinuousClock.now
            do {
                _ = try await operations.verifyCredentials(Self.login(login, password), Self.context)
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
        let operations = try Self.operations(database, clock: clock)
        _ = try await operations.register(Self.registration("locky"), Self.context)
        for _ in 0..<5 {
            await #expect(throws: IdentityError.invalidCredentials) {
                _ = try await operations.verifyCredentials(Self.login("locky", "WrongPass123"), Self.context)
            }
        }
        await #expect(throws: IdentityError.invalidCredentials, "locked: even the right password is refused") {
            _ = try await operations.verifyCredentials(Self.login("locky", "StrongPass123"), Self.context)
        }
        clock.advance(29 * 60)
        await #expect(throws: IdentityError.invalidCredentials) {
            _ = try await operations.verifyCredentials(Self.login("locky", "StrongPass123"), Self.context)
        }
        clock.advance(2 * 60)
        _ = try await operations.verifyCredentials(Self.login("locky", "StrongPass123"), Self.context)

        // Success reset the counter: four more failures do not lock.
        for _ in 0..<4 {
            _ = try? await operations.verifyCredentials(Self.login("locky", "WrongPass123"), Self.context)
        }
        _ = try await operations.verifyCredentials(Self.login("locky", "StrongPass123"), Self.context)
    }

    @Test func aHashMadeWithOtherParametersIsUpgradedAtLogin() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let old = try Self.operations(database, parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let user = try await old.register(Self.registration("upgrade"), Self.context)
        let stored = { try await PostgresUserStore(pool: database.pool).find(id: user.id)?.passwordHash ?? "" }
        #expect(try await stored().contains("m=1024,t=1,p=1"))

        let current = try Self.operations(database, parameters: Argon2Parameters(memoryKiB: 2048, iterations: 2, parallelism: 1))
        _ = try await current.verifyCredentials(Self.login("upgrade", "StrongPass123"), Self.context)
        #expect(try await stored().contains("m=2048,t=2,p=1"))
        _ = try await current.verifyCredentials(Self.login("upgrade", "StrongPass123"), Self.context)
    }

    @Test func policyAndLengthAreCheckedBeforeAnyHashing() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let hasher = CountingHasher(Argon2PasswordHasher(backend: .libsodium, parameters: Self.light))
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
            _ = try await operations.verifyCredentials(Self.login("x", String(repeating: "A", count: 129)), Self.context)
        }
        await #expect(throws: IdentityError.invalidField(field: "password", reason: "must be at least 8 characters")) {
            _ = try await operations.register(Self.registration("weakling", password: "weak"), Self.context)
        }
        await #expect(throws: IdentityError.invalidField(field: "username", reason: "must be 3 to 50 characters")) {
            _ = try await operations.register(Self.registration("ab"), Self.context)
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
