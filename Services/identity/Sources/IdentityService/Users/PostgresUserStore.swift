import Logging

/// ``UserStore`` on PostgreSQL: parameterised statements only, prepared once per connection.
public struct PostgresUserStore: UserStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    /// The columns every query returns, in ``UserRecord`` order.
    static let columns = """
        id, username, email, full_name, password_hash, role, is_active, is_verified, deleted_at IS NOT NULL AS is_deleted,
        failed_login_attempts, extract(epoch FROM locked_until)::float8 AS locked_until,
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at,
        extract(epoch FROM last_login_at)::float8 AS last_login_at, token_epoch, tier, mfa_enabled
        """

    static let insert = PreparedStatement(
        name: "users_insert",
        sql: "INSERT INTO users (username, email, full_name, password_hash, role, is_verified) VALUES ($1, $2, $3, $4, $5, $6) RETURNING \(columns)"
    )
    static let byLogin = PreparedStatement(
        name: "users_by_login",
        sql:
            "SELECT \(columns) FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1) ORDER BY lower(username) = lower($1) DESC LIMIT 1"
    )
    static let byID = PreparedStatement(name: "users_by_id", sql: "SELECT \(columns) FROM users WHERE id = $1")
    static let byEmail = PreparedStatement(name: "users_by_email", sql: "SELECT \(columns) FROM users WHERE lower(email) = lower($1)")
    static let markVerified = PreparedStatement(
        name: "users_mark_verified",
        sql: """
            UPDATE users SET is_verified = true, updated_at = now()
            WHERE id = $1 AND lower(email) = lower($2) AND is_active AND deleted_at IS NULL
            RETURNING \(columns)
            """
    )
    static let failedLogin = PreparedStatement(
        name: "users_failed_login",
        sql: """
            UPDATE users SET
                failed_login_attempts = CASE WHEN failed_login_attempts + 1 >= $2 THEN 0 ELSE failed_login_attempts + 1 END,
                locked_until = CASE WHEN failed_login_attempts + 1 >= $2 THEN to_timestamp($4) ELSE locked_until END,
                updated_at = to_timestamp($3)
            WHERE id = $1
            RETURNING locked_until = to_timestamp($4) AS locked_now
            """
    )
    static let successfulLogin = PreparedStatement(
        name: "users_successful_login",
        sql: """
            UPDATE users SET failed_login_attempts = 0, locked_until = NULL, last_login_at = to_timestamp($2),
                password_hash = coalesce($3, password_hash), updated_at = to_timestamp($2)
            WHERE id = $1 AND (locked_until IS NULL OR locked_until <= to_timestamp($2))
            RETURNING id
            """
    )
    static let lockState = PreparedStatement(
        name: "users_lock_state",
        sql: "SELECT id FROM users WHERE id = $1 AND (locked_until IS NULL OR locked_until <= to_timestamp($2))"
    )

    static let importUser = PreparedStatement(
        name: "users_import",
        sql: """
            INSERT INTO users (id, username, email, full_name, password_hash, is_active, created_at)
            VALUES (coalesce($1::bigint, nextval(pg_get_serial_sequence('users', 'id'))), $2, lower($3), $4, $5, $6, coalesce($7::timestamptz, now()))
            ON CONFLICT DO NOTHING
            RETURNING id
            """
    )
    static let syncSequence = PreparedStatement(
        name: "users_sync_sequence",
        sql: "SELECT setval(pg_get_serial_sequence('users', 'id'), greatest((SELECT max(id) FROM users), 1))"
    )

    /// Loads an exported user as it is (hash untouched); `false` when the id, username or email exists.
    public func importUser(_ user: ImportedUser) async throws -> Bool {
        try await self.pool.run { connection in
            let rows = try connection.query(
                Self.importUser,
                [
                    user.id.map(String.init), user.username, user.email, user.fullName, user.passwordHash, user.isActive ? "true" : "false",
                    user.createdAt,
                ]
            )
            return !rows.rows.isEmpty
        }
    }

    /// Moves the id sequence past imported ids so new registrations do not collide.
    public func synchronizeIDSequence() async throws {
        try await self.pool.run { connection in _ = try connection.query(Self.syncSequence) }
    }

    public func create(_ user: NewUser) async throws -> UserRecord {
        do {
            let rows = try await self.pool.withConnection { connection in
                try connection.query(
                    Self.insert,
                    [user.username, user.email, user.fullName, user.passwordHash, user.role, user.isVerified ? "t" : "f"]
                )
            }
            guard let record = Self.records(rows).first else { throw IdentityError.databaseUnavailable }
            return record
        } catch let error as PostgresError where error.isUniqueViolation {
            throw error.constraint == "users_email_key" ? IdentityError.emailTaken : IdentityError.usernameTaken
        } catch let error as PostgresError where error.kind == .connectionFailed {
            throw IdentityError.databaseUnavailable
        }
    }

    public func find(login: String) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.byLogin, [login])).first }
    }

    public func find(id: Int64) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.byID, [String(id)])).first }
    }

    public func find(email: String) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.byEmail, [email])).first }
    }

    public func markVerified(id: Int64, email: String) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.markVerified, [String(id), email])).first }
    }

    public func recordFailedLogin(id: Int64, maximumAttempts: Int, now: Double, lockUntil: Double) async throws -> Bool {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.failedLogin, [String(id), String(maximumAttempts), String(now), String(lockUntil)])
            return rows.first("locked_now") == "t"
        }
    }

    public func admitLogin(id: Int64, now: Double, rehashed: String?, recordLogin: Bool) async throws -> Bool {
        try await self.pool.run { connection in
            let rows =
                recordLogin
                ? try connection.query(Self.successfulLogin, [String(id), String(now), rehashed])
                : try connection.query(Self.lockState, [String(id), String(now)])
            return !rows.rows.isEmpty
        }
    }

    // The user's API keys die with the old password, in the same statement.
    static let changePassword = PreparedStatement(
        name: "users_change_password",
        sql: """
            WITH keys AS (UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)
            UPDATE users SET password_hash = $2, token_epoch = $3, failed_login_attempts = 0, locked_until = NULL, updated_at = now()
            WHERE id = $1 AND is_active AND deleted_at IS NULL
            RETURNING \(columns)
            """
    )
    static let resetPassword = PreparedStatement(
        name: "users_reset_password",
        sql: """
            WITH reset AS (
                UPDATE users SET password_hash = $2, token_epoch = $3, failed_login_attempts = 0, locked_until = NULL, updated_at = now()
                WHERE id = $1 AND is_active AND deleted_at IS NULL AND lower(email) = lower($4)
                RETURNING \(columns)
            ), keys AS (UPDATE api_keys SET revoked_at = now() WHERE user_id IN (SELECT id FROM reset) AND revoked_at IS NULL)
            SELECT * FROM reset
            """
    )
    // A new address is not verified yet.
    static let updateProfile = PreparedStatement(
        name: "users_update_profile",
        sql: """
            UPDATE users SET full_name = coalesce($2, full_name), email = coalesce($3, email),
                is_verified = is_verified AND ($3 IS NULL OR lower($3) = lower(email)), updated_at = now()
            WHERE id = $1 AND is_active AND deleted_at IS NULL
            RETURNING \(columns)
            """
    )
    // "Log out everywhere": the API keys die in the same statement.
    static let endAllSessions = PreparedStatement(
        name: "users_end_all_sessions",
        sql: """
            WITH keys AS (UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)
            UPDATE users SET token_epoch = greatest(token_epoch, $2), updated_at = now()
            WHERE id = $1 AND is_active AND deleted_at IS NULL
            RETURNING \(columns)
            """
    )
    // The user's API keys die with the account, in the same statement.
    static let deactivate = PreparedStatement(
        name: "users_deactivate",
        sql: """
            WITH keys AS (UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)
            UPDATE users SET is_active = false, deleted_at = coalesce(deleted_at, now()), token_epoch = $2, updated_at = now()
            WHERE id = $1
            RETURNING \(columns)
            """
    )
    static let list = PreparedStatement(
        name: "users_list",
        sql: "SELECT \(columns) FROM users ORDER BY id OFFSET $1 LIMIT $2"
    )
    static let changeRole = PreparedStatement(
        name: "users_change_role",
        sql: """
            UPDATE users SET role = $2, token_epoch = $3, updated_at = now()
            WHERE id = $1 AND role <> 'super_admin'
            RETURNING \(columns)
            """
    )
    // A tier change does not end sessions (the token service updates them): no new epoch.
    static let setTier = PreparedStatement(
        name: "users_set_tier",
        sql: "UPDATE users SET tier = $2, updated_at = now() WHERE id = $1 RETURNING \(columns)"
    )
    static let statistics = PreparedStatement(
        name: "users_statistics",
        sql: """
            SELECT role, count(*), count(*) FILTER (WHERE is_active AND deleted_at IS NULL) FROM users GROUP BY role
            """
    )

    public func changePassword(id: Int64, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.changePassword, [String(id), hash, String(tokensValidAfterMilliseconds)])).first }
    }

    public func resetPassword(id: Int64, email: String, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        let parameters = [String(id), hash, String(tokensValidAfterMilliseconds), email]
        return try await self.pool.run { try Self.records($0.query(Self.resetPassword, parameters)).first }
    }

    public func updateProfile(id: Int64, fullName: String?, email: String?) async throws -> UserRecord? {
        do {
            return try await self.pool.withConnection { connection in
                try Self.records(connection.query(Self.updateProfile, [String(id), fullName, email])).first
            }
        } catch let error as PostgresError where error.isUniqueViolation {
            throw IdentityError.emailInUse
        } catch let error as PostgresError where error.kind == .connectionFailed {
            throw IdentityError.databaseUnavailable
        }
    }

    public func endAllSessions(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.endAllSessions, [String(id), String(tokensValidAfterMilliseconds)])).first }
    }

    public func deactivate(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.deactivate, [String(id), String(tokensValidAfterMilliseconds)])).first }
    }

    public func list(skip: Int64, limit: Int) async throws -> [UserRecord] {
        try await self.pool.run { try Self.records($0.query(Self.list, [String(skip), String(limit)])) }
    }

    public func changeRole(id: Int64, role: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.changeRole, [String(id), role, String(tokensValidAfterMilliseconds)])).first }
    }

    public func setTier(id: Int64, tier: String?) async throws -> UserRecord? {
        try await self.pool.run { try Self.records($0.query(Self.setTier, [String(id), tier])).first }
    }

    static let pendingRevocations = PreparedStatement(
        name: "users_pending_revocations",
        sql: "SELECT id, token_epoch FROM users WHERE token_epoch > sessions_revoked_ms ORDER BY token_epoch LIMIT $1"
    )
    static let confirmRevocation = PreparedStatement(
        name: "users_confirm_revocation",
        sql: "UPDATE users SET sessions_revoked_ms = greatest(sessions_revoked_ms, $2) WHERE id = $1 AND sessions_revoked_ms < $2"
    )

    public func pendingRevocations(limit: Int) async throws -> [(userID: Int64, tokensValidAfterMilliseconds: Int64)] {
        try await self.pool.run { connection in
            try connection.query(Self.pendingRevocations, [String(limit)]).rows.compactMap { row in
                guard row.count == 2, let id = row[0].flatMap({ Int64($0) }), let epoch = row[1].flatMap({ Int64($0) }) else { return nil }
                return (id, epoch)
            }
        }
    }

    public func confirmRevocation(id: Int64, tokensValidAfterMilliseconds: Int64) async throws {
        try await self.pool.run { connection in
            _ = try connection.query(Self.confirmRevocation, [String(id), String(tokensValidAfterMilliseconds)])
        }
    }

    public func statistics() async throws -> UserStatistics {
        try await self.pool.run { connection in
            var statistics = UserStatistics()
            for row in try connection.query(Self.statistics).rows where row.count == 3 {
                guard let role = row[0], let total = row[1].flatMap({ Int64($0) }), let active = row[2].flatMap({ Int64($0) }) else { continue }
                statistics.byRole[role] = total
                statistics.total += total
                statistics.active += active
            }
            return statistics
        }
    }

    static func records(_ rows: PostgresRows) -> [UserRecord] {
        rows.rows.compactMap { row in
            guard row.count == 16, let idText = row[0], let id = Int64(idText), let username = row[1], let email = row[2],
                let hash = row[4], let role = row[5], let createdAt = row[11]
            else { return nil }
            return UserRecord(
                id: id,
                username: username,
                email: email,
                fullName: row[3],
                passwordHash: hash,
                role: role,
                isActive: row[6] == "t",
                isVerified: row[7] == "t",
                isDeleted: row[8] == "t",
                failedLoginAttempts: row[9].flatMap { Int($0) } ?? 0,
                lockedUntil: row[10].flatMap { Double($0) },
                createdAt: createdAt,
                lastLoginAt: row[12].flatMap { Double($0) },
                tokensValidAfterMilliseconds: row[13].flatMap { Int64($0) } ?? 0,
                tier: row[14],
                mfaEnabled: row[15] == "t"
            )
        }
    }
}
