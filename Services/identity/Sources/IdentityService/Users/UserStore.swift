/// Where users live. Production: ``PostgresUserStore``.
public protocol UserStore: Sendable {
    /// Stores a new user.
    /// - Throws: ``IdentityError/usernameTaken`` or ``IdentityError/emailTaken``, also when
    ///   another registration of the same name wins a race.
    func create(_ user: NewUser) async throws -> UserRecord

    /// The user whose username or email (case-insensitively) is `login`.
    func find(login: String) async throws -> UserRecord?

    func find(id: Int64) async throws -> UserRecord?

    /// Counts a failed login; at `maximumAttempts` locks the account until `lockUntil` and
    /// starts counting again. Returns whether this failure locked the account.
    func recordFailedLogin(id: Int64, maximumAttempts: Int, now: Double, lockUntil: Double) async throws -> Bool

    /// Clears the failure count after a good password, storing `rehashed` when the hash was upgraded.
    func recordSuccessfulLogin(id: Int64, now: Double, rehashed: String?) async throws
}
