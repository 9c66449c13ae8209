/// Where users live. Production: ``PostgresUserStore``.
public protocol UserStore: Sendable {
    /// Stores a new user.
    /// - Throws: ``IdentityError/usernameTaken`` or ``IdentityError/emailTaken``, also when
    ///   another registration of the same name wins a race.
    func create(_ user: NewUser) async throws -> UserRecord

    /// The user whose username or email (case-insensitively) is `login`.
    func find(login: String) async throws -> UserRecord?

    func find(id: Int64) async throws -> UserRecord?

    /// The user whose email (case-insensitively) is `email`; a username never matches.
    func find(email: String) async throws -> UserRecord?

    /// Marks the address verified, if it is still the user's (`email`, case-insensitively) and
    /// the account can log in; `nil` otherwise.
    func markVerified(id: Int64, email: String) async throws -> UserRecord?

    /// Counts a failed login; at `maximumAttempts` locks the account until `lockUntil` and
    /// starts counting again. Returns whether this failure locked the account.
    func recordFailedLogin(id: Int64, maximumAttempts: Int, now: Double, lockUntil: Double) async throws -> Bool

    /// Admits a login whose password matched, unless the account is locked at `now` (read from
    /// the row as it is, in one statement). With `recordLogin`, also clears the failure count,
    /// records the login time and stores `rehashed` when the hash was upgraded.
    /// - Returns: `false` when the account is locked.
    func admitLogin(id: Int64, now: Double, rehashed: String?, recordLogin: Bool) async throws -> Bool

    /// Stores a new password hash and kills every token issued before `tokensValidAfterMilliseconds`;
    /// `nil` when the user is gone or inactive.
    func changePassword(id: Int64, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord?

    /// As ``changePassword(id:hash:tokensValidAfterMilliseconds:)``, only while `email` is still
    /// the user's address (a reset sent to a former address must not land); `nil` otherwise.
    func resetPassword(id: Int64, email: String, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord?

    /// Changes the fields that are not `nil`; `nil` when the user is gone or inactive.
    /// - Throws: ``IdentityError/emailInUse``.
    func updateProfile(id: Int64, fullName: String?, email: String?) async throws -> UserRecord?

    /// Ends everything the user is signed in with: tokens issued before `tokensValidAfterMilliseconds`
    /// and every API key; `nil` when the user is gone or inactive.
    func endAllSessions(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord?

    /// Soft delete: inactive, deleted time set, tokens and API keys revoked.
    func deactivate(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord?

    /// Users by id.
    func list(skip: Int64, limit: Int) async throws -> [UserRecord]

    /// Sets the role of a user who is not a super admin; `nil` when no such user.
    func changeRole(id: Int64, role: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord?

    /// Sets (or with `nil` removes) the user's subscription tier; `nil` when no such user.
    func setTier(id: Int64, tier: String?) async throws -> UserRecord?

    func statistics() async throws -> UserStatistics

    /// A statement outside this store changed the user (the second factor's turn `mfa_enabled`
    /// on and off): any copy kept of it is dropped.
    func changedElsewhere(id: Int64)

    /// Users whose last revocation of everything (`tokens_valid_after`) the token service has not
    /// confirmed yet, oldest first: each with that moment in milliseconds.
    func pendingRevocations(limit: Int) async throws -> [(userID: Int64, tokensValidAfterMilliseconds: Int64)]

    /// Records that the token service ended every session of the user up to `tokensValidAfterMilliseconds`.
    func confirmRevocation(id: Int64, tokensValidAfterMilliseconds: Int64) async throws
}

extension UserStore {
    /// Nothing is kept: nothing to drop.
    public func changedElsewhere(id: Int64) {}
}
