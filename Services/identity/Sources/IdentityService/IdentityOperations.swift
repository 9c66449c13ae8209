import Logging
import NIOCore
public import ServiceSupport
public import WireProtocol
public import WireTransport

/// The identity service's operations: register, verify credentials, get a user.
///
/// Each handler validates first (cheap checks before any hashing), then touches PostgreSQL
/// through the ``UserStore`` and runs Argon2 on the hashing pool.
public struct IdentityOperations: Sendable {
    public let users: any UserStore
    public let hasher: any PasswordHasher
    public let hashingPool: BlockingPool
    public let rules: RegistrationRules
    public let lockout: LockoutPolicy
    /// Seconds since 1970; injected so lockout expiry is testable.
    public let now: @Sendable () -> Double
    /// A hash of a random password at the configured parameters: unknown users are verified
    /// against it so that they cost the same time as a wrong password.
    let dummyHash: String

    public init(
        users: any UserStore,
        hasher: any PasswordHasher,
        hashingPool: BlockingPool,
        rules: RegistrationRules,
        lockout: LockoutPolicy,
        now: @escaping @Sendable () -> Double = IdentityOperations.wallClock
    ) throws {
        self.users = users
        self.hasher = hasher
        self.hashingPool = hashingPool
        self.rules = rules
        self.lockout = lockout
        self.now = now
        self.dummyHash = try hasher.hash(Sodium.randomBytes(24).map { String($0, radix: 16) }.joined())
    }

    public static let wallClock: @Sendable () -> Double = { WallClock.now() }

    /// Adds the handlers to `dispatcher`.
    public func register(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.register) { (request: WireRegisterRequest, context) in try await self.register(request, context) }
        dispatcher.on(.verifyCredentials) { (request: WireVerifyCredentialsRequest, context) in
            try await self.verifyCredentials(request, context)
        }
        dispatcher.on(.getUser) { (request: WireGetUserRequest, _) in try await self.getUser(request) }
    }

    func register(_ request: WireRegisterRequest, _ context: WireRequest) async throws -> WireUser {
        try self.rules.checkUsername(request.username)
        let email = try self.rules.normalizedEmail(request.email)
        try self.rules.checkPassword(request.password)
        let fullName = request.hasFullName ? request.fullName.trimmingCharacters(in: " \t\r\n") : nil
        if let fullName, fullName.count > 100 {
            throw IdentityError.invalidField(field: "full_name", reason: "must be at most 100 characters")
        }
        let password = request.password
        let hash = try await self.hashing { try self.hasher.hash(password) }
        let user = try await self.users.create(
            NewUser(username: request.username, email: email, fullName: fullName, passwordHash: hash)
        )
        context.logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        return user.wire
    }

    func verifyCredentials(_ request: WireVerifyCredentialsRequest, _ context: WireRequest) async throws -> WireUser {
        let login = request.login.trimmingCharacters(in: " \t\r\n")
        guard !login.isEmpty, login.utf8.count <= 320 else { throw IdentityError.invalidCredentials }
        try self.rules.checkPasswordLength(request.password)
        let user = try await self.users.find(login: login)
        let password = request.password
        // Always one Argon2 verify, whoever the user is (timing).
        let storedHash = user?.passwordHash ?? self.dummyHash
        try context.checkDeadline()
        let matches = try await self.hashing { self.hasher.verify(password, against: storedHash) }
        guard let user, user.canLogIn else {
            context.logger.info("login refused", metadata: ["reason": "\(user == nil ? "unknown user" : "inactive")"])
            throw IdentityError.invalidCredentials
        }
        let now = self.now()
        if self.lockout.isLocked(until: user.lockedUntil, now: now) {
            context.logger.info("login refused", metadata: ["reason": "locked", "user_id": "\(user.id)"])
            throw IdentityError.invalidCredentials
        }
        guard matches else {
            let lockedNow = try await self.users.recordFailedLogin(
                id: user.id,
                maximumAttempts: self.lockout.maximumAttempts,
                now: now,
                lockUntil: self.lockout.lockEnd(from: now)
            )
            context.logger.info("login failed", metadata: ["user_id": "\(user.id)", "locked": "\(lockedNow)"])
            throw IdentityError.invalidCredentials
        }
        var rehashed: String?
        if self.hasher.needsRehash(user.passwordHash) {
            rehashed = try? await self.hashing { try self.hasher.hash(password) }
        }
        // Most logins change nothing but the last-login time; writing that at most once a minute
        // spares PostgreSQL a write per login under load.
        let recentlyRecorded = user.lastLoginAt.map { now - $0 < 60 } ?? false
        if user.failedLoginAttempts != 0 || user.lockedUntil != nil || rehashed != nil || !recentlyRecorded {
            try await self.users.recordSuccessfulLogin(id: user.id, now: now, rehashed: rehashed)
        }
        context.logger.info("login succeeded", metadata: ["user_id": "\(user.id)", "rehashed": "\(rehashed != nil)"])
        return user.wire
    }

    func getUser(_ request: WireGetUserRequest) async throws -> WireUser {
        guard let user = try await self.users.find(id: request.id) else { throw IdentityError.userNotFound }
        guard user.canLogIn else { throw IdentityError.accountInactive }
        return user.wire
    }

    /// Runs Argon2 on the hashing pool; a full pool is "overloaded" at once.
    private func hashing<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
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
        return user
    }
}
