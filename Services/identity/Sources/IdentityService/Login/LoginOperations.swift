import Logging
import ServiceRuntime
import WireProtocol
import WireTransport

/// Logging in: which account a login names (the gateway counts attempts per account) and the
/// password check with its lockout (``LockoutPolicy``) and paced failures (``FailurePacing``).
extension IdentityOperations {
    func registerLoginOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.verifyCredentials) { (request: WireVerifyCredentialsRequest, context) in
            try await self.verifyCredentials(request, context)
        }
        dispatcher.on(.resolveLogin) { (request: WireResolveLoginRequest, _) in try await self.resolveLogin(request) }
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
        try self.checkHashingRoom()
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
        // Only once the password is known to be right: the answer tells nothing to anyone else.
        if self.emailVerification == .required, !user.isVerified {
            self.record(.loginFailure, user: user, login: login, request.client, context, detail: ["reason": "not verified"])
            throw IdentityError.notVerified
        }
        // Only once the password is known to be right, too: the second step's challenge.
        if user.mfaEnabled {
            let challenge = try await self.openLoginChallenge(for: user, route: request.route, request.client, context)
            throw IdentityError.mfaRequired(challenge: challenge)
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
        // The first step of every login: when its hash could not run now, the login is refused
        // here, before a database read and the gateway's rate-limit check.
        try self.checkHashingRoom()
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
}
