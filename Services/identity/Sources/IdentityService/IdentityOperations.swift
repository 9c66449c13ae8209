import Logging
import NIOCore
public import ServiceRuntime
public import WireProtocol
public import WireTransport

/// The identity service's operations: register, verify credentials and get a user here; the
/// account, admin and API-key operations in the extensions beside this file.
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

    public init(
        users: any UserStore,
        apiKeys: any APIKeyStore,
        apiKeySecret: String,
        audit: AuditLog? = nil,
        hasher: any PasswordHasher,
        hashingPool: BlockingPool,
        rules: RegistrationRules,
        lockout: LockoutPolicy,
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
        self.now = now
        self.dummyHash = try hasher.hash(Sodium.randomBytes(24).map { String($0, radix: 16) }.joined())
        self.auditLoginKey = Sodium.hmacSHA256(key: Array(apiKeySecret.utf8), message: Array("audit login digest".utf8))
    }

    public static let wallClock: @Sendable () -> Double = { WallClock.now() }

    /// Adds the handlers to `dispatcher`.
    public func register(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.register) { (request: WireRegisterRequest, context) in try await self.register(request, context) }
        dispatcher.on(.verifyCredentials) { (request: WireVerifyCredentialsRequest, context) in
            try await self.verifyCredentials(request, context)
        }
        dispatcher.on(.getUser) { (request: WireGetUserRequest, _) in try await self.getUser(request) }
        dispatcher.on(.resolveLogin) { (request: WireResolveLoginRequest, _) in try await self.resolveLogin(request) }
        self.registerAccountOperations(in: &dispatcher)
        self.registerAdminOperations(in: &dispatcher)
        self.registerAPIKeyOperations(in: &dispatcher)
        self.registerAuditOperations(in: &dispatcher)
    }

    func register(_ request: WireRegisterRequest, _ context: WireRequest) async throws -> WireUser {
        try self.rules.checkUsername(request.username)
        let email = try self.rules.normalizedEmail(request.email)
        try self.rules.checkPassword(request.password, username: request.username, email: email)
        let fullName = request.hasFullName ? try self.rules.normalizedFullName(request.fullName) : nil
        let password = request.password
        let hash = try await self.hashing { try self.hasher.hash(password) }
        let user = try await self.users.create(
            NewUser(username: request.username, email: email, fullName: fullName, passwordHash: hash)
        )
        context.logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return user.wire
    }

    /// One answer for every kind of failure, in words and in time (``FailurePacing``).
    func verifyCredentials(_ request: WireVerifyCredentialsRequest, _ context: WireRequest) async throws -> WireUser {
        let started = ContinuousClock.now
        do {
            return try await self.checkCredentials(request, context)
        } catch IdentityError.invalidCredentials {
            try? await Task.sleep(for: self.failurePacing.delay(after: ContinuousClock.now - started))
            throw IdentityError.invalidCredentials
        }
    }

    func checkCredentials(_ request: WireVerifyCredentialsRequest, _ context: WireRequest) async throws -> WireUser {
        let login = request.login.trimmingCharacters(in: " \t\r\n")
        guard !login.isEmpty, login.utf8.count <= Self.maximumLoginBytes else { throw IdentityError.invalidCredentials }
        try self.rules.checkPasswordLength(request.password)
        let user = try await self.users.find(login: login)
        let password = request.password
        // Always one Argon2 verify, whoever the user is (timing).
        let storedHash = user?.passwordHash ?? self.dummyHash
        try context.checkDeadline()
        let matches = try await self.hashing { self.hasher.verify(password, against: storedHash) }
        guard let user, user.canLogIn else {
            let reason = user == nil ? "unknown user" : "inactive"
            self.record(.loginFailure, user: user, login: login, request.client, context, detail: ["reason": reason])
            throw IdentityError.invalidCredentials
        }
        let now = self.now()
        guard matches else {
            // Failures while locked are not counted (they would only move the lock on).
            if self.lockout.isLocked(until: user.lockedUntil, now: now) {
                self.record(.loginFailure, user: user, login: login, request.client, context, detail: ["reason": "locked"])
                throw IdentityError.invalidCredentials
            }
            let lockedNow = try await self.users.recordFailedLogin(
                id: user.id,
                maximumAttempts: self.lockout.maximumAttempts,
                now: now,
                lockUntil: self.lockout.lockEnd(from: now)
            )
            self.record(.loginFailure, user: user, login: login, request.client, context, detail: ["reason": "wrong password"])
            if lockedNow { self.record(.accountLocked, user: user, login: login, request.client, context) }
            throw IdentityError.invalidCredentials
        }
        var rehashed: String?
        if self.hasher.needsRehash(user.passwordHash) {
            rehashed = try? await self.hashing { try self.hasher.hash(password) }
        }
        // Most logins change nothing but the last-login time; writing that at most once a minute
        // spares PostgreSQL a write per login under load.
        let recentlyRecorded = user.lastLoginAt.map { now - $0 < 60 } ?? false
        let write = user.failedLoginAttempts != 0 || user.lockedUntil != nil || rehashed != nil || !recentlyRecorded
        // The lock is decided here, after the hash, on the row as it is now, not on the copy read
        // before: guesses running at the same time may have locked the account meanwhile, and a
        // right password among them must not clear that lock.
        guard try await self.users.admitLogin(id: user.id, now: now, rehashed: rehashed, recordLogin: write) else {
            self.record(.loginFailure, user: user, login: login, request.client, context, detail: ["reason": "locked"])
            throw IdentityError.invalidCredentials
        }
        self.record(.loginSuccess, user: user, login: login, request.client, context, detail: rehashed == nil ? [:] : ["rehashed": "true"])
        return user.wire
    }

    /// The longest login (a username or an email) looked at.
    static let maximumLoginBytes = 320

    /// The account a login names, as the key its attempts are counted under: every spelling of
    /// one account (its username in any case, its email, stray spaces) counts together. Costs
    /// one indexed read whoever the account is, as the login that follows does.
    func resolveLogin(_ request: WireResolveLoginRequest) async throws -> WireResolvedLogin {
        let login = request.login.trimmingCharacters(in: " \t\r\n")
        guard !login.isEmpty, login.utf8.count <= Self.maximumLoginBytes else {
            throw IdentityError.invalidField(field: "username", reason: "must be 1 to \(Self.maximumLoginBytes) characters")
        }
        var reply = WireResolvedLogin()
        if let user = try await self.users.find(login: login) {
            reply.account = "u:\(user.id)"
        } else {
            let normalized = login.lowercased()
            reply.account =
                normalized.utf8.count <= 64
                ? "n:\(normalized)" : "h:" + Hex.encode(Sodium.hmacSHA256(key: Array("login".utf8), message: Array(normalized.utf8)))
        }
        return reply
    }

    func getUser(_ request: WireGetUserRequest) async throws -> WireUser {
        guard let user = try await self.users.find(id: request.id) else { throw IdentityError.userNotFound }
        guard user.canLogIn else { throw IdentityError.accountInactive }
        return user.wire
    }

    /// Records an audit event about `user`. An attempted `login` that matches no user is kept
    /// only as a keyed digest (`login_digest`): people type passwords into the name field, and
    /// the trail is kept for long; the digest still links repeated attempts at one name.
    func record(
        _ kind: AuditEvent.Kind,
        user: UserRecord?,
        login: String? = nil,
        _ client: WireClientInfo,
        _ context: WireRequest,
        detail: [String: String] = [:]
    ) {
        guard let audit = self.audit else { return }
        var detail = detail
        if user == nil, let login {
            detail["login_digest"] = Hex.encode(Sodium.hmacSHA256(key: self.auditLoginKey, message: Array(login.lowercased().utf8)).prefix(16))
        }
        audit.record(
            AuditEvent(
                kind,
                userID: user?.id,
                username: user?.username,
                ip: client.ip,
                userAgent: client.userAgent,
                requestID: context.header.requestID,
                detail: detail
            )
        )
    }

    /// Milliseconds since 1970: the moment from which a user's new tokens are valid.
    func revocationMoment() -> Int64 { Int64((self.now() * 1000).rounded(.up)) }

    /// Runs Argon2 on the hashing pool; a full pool is "overloaded" at once.
    func hashing<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        do {
            return try await self.hashingPool.run(work)
        } catch BlockingPoolError.overloaded {
            throw IdentityError.overloaded
        }
    }
}

extension UserRecord {
    var wire: WireUser {
        var user = WireUser()
        user.id = self.id
        user.username = self.username
        user.email = self.email
        if let fullName = self.fullName {
            user.fullName = fullName
        }
        user.role = self.role
        user.isActive = self.isActive && !self.isDeleted
        user.isVerified = self.isVerified
        user.createdAt = self.createdAt
        user.tokensValidAfterMs = self.tokensValidAfterMilliseconds
        if let tier = self.tier { user.tier = tier }
        return user
    }
}
