/// A row of `users` as identity works with it.
public struct UserRecord: Sendable, Hashable {
    public var id: Int64
    public var username: String
    public var email: String
    public var fullName: String?
    /// The PHC string; never leaves identity.
    public var passwordHash: String
    public var role: String
    public var isActive: Bool
    public var isVerified: Bool
    public var isDeleted: Bool
    public var failedLoginAttempts: Int
    /// Seconds since 1970 until which login is refused, if locked.
    public var lockedUntil: Double?
    /// RFC 3339 UTC.
    public var createdAt: String
    /// Seconds since 1970 of the last successful login, if any.
    public var lastLoginAt: Double?
    /// Tokens issued before this time (milliseconds since 1970) are dead; 0 when never set.
    public var tokensValidAfterMilliseconds: Int64 = 0
    /// The subscription tier (seed 002), if an administrator gave one.
    public var tier: String? = nil
    /// A confirmed second factor (TOTP) guards the account.
    public var mfaEnabled: Bool = false

    /// Whether the account may log in at all (not counting a lock).
    public var canLogIn: Bool { self.isActive && !self.isDeleted }
}

/// What registration stores.
public struct NewUser: Sendable, Hashable {
    public var username: String
    public var email: String
    public var fullName: String?
    public var passwordHash: String
    public var role: String
    /// Created with its address verified (an administrator made by the operator).
    public var isVerified: Bool

    public init(username: String, email: String, fullName: String?, passwordHash: String, role: String = "user", isVerified: Bool = false) {
        self.username = username
        self.email = email
        self.fullName = fullName
        self.passwordHash = passwordHash
        self.role = role
        self.isVerified = isVerified
    }
}

/// Counts for the admin dashboard.
public struct UserStatistics: Sendable, Hashable {
    public var total: Int64 = 0
    /// Active and not deleted.
    public var active: Int64 = 0
    public var byRole: [String: Int64] = [:]

    public init() {}
}
