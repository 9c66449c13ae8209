import Logging
import NIOCore
import ServiceRuntime
import WireProtocol
public import WireTransport

/// The identity service's operations, each family in its room: `Registration/`, `Login/`,
/// `Accounts/` (the account's email too), `MFA/` (the second factor), `Admin/`, `APIKeys/` and `Audit/` each extend this type with its handlers and
/// registers them in ``register(in:)``.
///
/// Each handler validates first (cheap checks before any hashing), then touches PostgreSQL
/// through the stores and runs Argon2 on the hashing pool.
public struct IdentityOperations: Sendable {
    public let users: any UserStore
    public let apiKeys: any APIKeyStore
    /// The key of the API keys' HMAC (`API_KEY_SECRET`).
    let apiKeySecret: [UInt8]
    /// Where security events go; `nil` in tests that do not look at them.
    public let audit: AuditLog?
    public let hasher: any PasswordHasher
    public let hashingPool: BlockingPool
    public let rules: RegistrationRules
    public let lockout: LockoutPolicy
    /// Seconds since 1970; injected so lockout expiry is testable.
    public let now: @Sendable () -> Double
    /// A hash of a random password at the configured parameters: unknown users are verified
    /// against it so that they cost the same time as a wrong password.
    let dummyHash: String
    /// Keys the audit trail's digest of logins that match no user (derived from `API_KEY_SECRET`).
    let auditLoginKey: [UInt8]
    /// Lines failed logins up in time, whatever failed.
    let failurePacing = FailurePacing()
    /// The account's mail; `nil` when no mail is set up (`MAIL_URL`).
    let accountMail: AccountMail?
    /// Where requests for a verification or reset message wait; with ``accountMail``.
    let challengeRequests: ChallengeRequests?
    /// `EMAIL_VERIFICATION`.
    let emailVerification: EmailVerification
    /// The second factor; `nil` without `MFA_ENCRYPTION_KEY`.
    let secondFactor: SecondFactor?

    public init(
        users: any UserStore,
        apiKeys: any APIKeyStore,
        apiKeySecret: String,
        audit: AuditLog? = nil,
        hasher: any PasswordHasher,
        hashingPool: BlockingPool,
        rules: RegistrationRules,
        lockout: LockoutPolicy,
        accountMail: AccountMail? = nil,
        challengeRequests: ChallengeRequests? = nil,
        emailVerification: EmailVerification = .off,
        secondFactor: SecondFactor? = nil,
        now: @escaping @Sendable () -> Double = IdentityOperations.wallClock
    ) throws {
        self.users = users
        self.apiKeys = apiKeys
        self.apiKeySecret = Array(apiKeySecret.utf8)
        self.audit = audit
        self.hasher = hasher
        self.hashingPool = hashingPool
        self.rules = rules
        self.lockout = lockout
        self.accountMail = accountMail
        self.challengeRequests = challengeRequests
        self.emailVerification = emailVerification
        self.secondFactor = secondFactor
        self.now = now
        self.dummyHash = try hasher.hash(Sodium.randomBytes(24).map { String($0, radix: 16) }.joined())
        self.auditLoginKey = Sodium.hmacSHA256(key: Array(apiKeySecret.utf8), message: Array("audit login digest".utf8))
    }

    public static let wallClock: @Sendable () -> Double = { WallClock.now() }

    /// Adds the handlers to `dispatcher`.
    public func register(in dispatcher: inout OperationDispatcher) {
        self.registerRegistrationOperations(in: &dispatcher)
        self.registerLoginOperations(in: &dispatcher)
        self.registerAccountOperations(in: &dispatcher)
        self.registerEmailOperations(in: &dispatcher)
        self.registerMFAOperations(in: &dispatcher)
        self.registerAdminOperations(in: &dispatcher)
        self.registerAPIKeyOperations(in: &dispatcher)
        self.registerAuditOperations(in: &dispatcher)
    }

    /// Milliseconds since 1970: the moment from which a user's new tokens are valid.
    func revocationMoment() -> Int64 { Int64((self.now() * 1000).rounded(.up)) }

    /// Refuses ("overloaded") at once when the hashing pool is full: a login that could not be
    /// hashed now is not looked up either, and its refusal costs next to nothing.
    func checkHashingRoom() throws(IdentityError) {
        do {
            try self.hashingPool.checkRoom()
        } catch {
            throw .overloaded
        }
    }

    /// Runs Argon2 on the hashing pool; a full pool is "overloaded" at once.
    func hashing<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        do {
            return try await self.hashingPool.run(work)
        } catch BlockingPoolError.overloaded {
            throw IdentityError.overloaded
        }
    }
}
