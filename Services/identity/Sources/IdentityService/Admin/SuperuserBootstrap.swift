/// Creates the first superuser (seed 002/003's CLI, and `BOOTSTRAP_ADMIN_*` at start).
public struct SuperuserBootstrap: Sendable {
    public enum Outcome: Sendable, Equatable {
        case created(id: Int64)
        /// A user with that username or email exists already; nothing was changed.
        case exists
    }

    let users: any UserStore
    let hasher: any PasswordHasher
    let hashingPool: BlockingPool
    let rules: RegistrationRules

    public init(users: any UserStore, hasher: any PasswordHasher, hashingPool: BlockingPool, rules: RegistrationRules) {
        self.users = users
        self.hasher = hasher
        self.hashingPool = hashingPool
        self.rules = rules
    }

    /// Validates like registration, then creates a `super_admin` with its address verified; idempotent (a second run, or a
    /// second identity instance starting at the same time, finds it and changes nothing).
    public func create(username: String, email: String, password: String) async throws -> Outcome {
        try self.rules.checkUsername(username)
        let normalized = try self.rules.normalizedEmail(email)
        try self.rules.checkPassword(password, username: username, email: normalized)
        let byName = try await self.users.find(login: username)
        let byEmail = try await self.users.find(login: normalized)
        if byName != nil || byEmail != nil { return .exists }
        let hash = try await self.hashingPool.run { try self.hasher.hash(password) }
        do {
            // The operator vouches for the address: EMAIL_VERIFICATION=required must not lock
            // the first administrator out.
            let user = try await self.users.create(
                NewUser(username: username, email: normalized, fullName: nil, passwordHash: hash, role: "super_admin", isVerified: true)
            )
            return .created(id: user.id)
        } catch IdentityError.usernameTaken, IdentityError.emailTaken {
            return .exists
        }
    }
}
