import Logging
import NIOCore
import Synchronization
public import WireProtocol
public import WireTransport
public import IdentityService
public import WireTesting

/// Identity's real operations on a test database, and the requests tests send them.
public enum IdentityFixtures {
    public static let light = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    /// The second factor's key in tests.
    public static let mfaKey = "an-mfa-encryption-key-of-at-least-32-characters"

    public static func operations(
        _ database: TestDatabase,
        parameters: Argon2Parameters = light,
        clock: ManualClock? = nil,
        secondFactor: Bool = false
    ) throws -> IdentityOperations {
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
            secondFactor: secondFactor
                ? SecondFactor(secret: Self.mfaKey, store: PostgresMFAStore(pool: database.pool), issuer: "auth-service") : nil,
            now: now
        )
    }

    public static var context: WireRequest {
        var logger = Logger(label: "identity-test")
        logger.logLevel = .critical
        return WireRequest(
            header: FrameHeader(kind: .request, code: 0, correlationID: 1),
            payload: ByteBuffer(),
            deadline: .now() + .seconds(30),
            logger: logger
        )
    }

    public static func registration(_ username: String, email: String? = nil, password: String = "StrongPass123") -> WireRegisterRequest {
        var request = WireRegisterRequest()
        request.username = username
        request.email = email ?? "\(username)@example.com"
        request.password = password
        return request
    }

    public static func login(_ login: String, _ password: String) -> WireVerifyCredentialsRequest {
        var request = WireVerifyCredentialsRequest()
        request.login = login
        request.password = password
        return request
    }

}
