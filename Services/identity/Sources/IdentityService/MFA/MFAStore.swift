/// Where the second factor lives: each account's TOTP secret (sealed), the last time step it
/// accepted, its wrong-code count, its recovery codes (keyed hashes) and the login challenges
/// waiting for a code. Production: ``PostgresMFAStore``.
public protocol MFAStore: Sendable {
    /// Stores a pending secret for the user, replacing a pending one; `false` when a confirmed
    /// factor is already there.
    func enroll(userID: Int64, sealedSecret: String) async throws -> Bool

    /// The user's factor, pending or confirmed, if any.
    func factor(userID: Int64) async throws -> TOTPFactor?

    /// Turns the pending factor on, records `step` as used and stores the recovery codes, in one
    /// statement; `false` when the pending secret is no longer `sealedSecret` (enrolled again
    /// meanwhile), `step` was not after the last one, or the factor is locked.
    func confirm(userID: Int64, sealedSecret: String, step: Int64, recoveryDigests: [String]) async throws -> Bool

    /// Records `step` as the confirmed factor's last accepted one, if it is after the last; the
    /// step is then never accepted again, whichever instance is asked. `false`: used, or locked.
    func useStep(userID: Int64, step: Int64) async throws -> Bool

    /// Consumes one recovery code of a confirmed, unlocked factor: the codes left, or `nil` when
    /// it is not one of them.
    func useRecoveryCode(userID: Int64, digest: String) async throws -> Int?

    /// Counts a wrong code; at `maximumFailures` within any `windowSeconds`, codes are refused for
    /// `lockSeconds`. Answers whether this failure locked the factor.
    func recordFailure(userID: Int64, maximumFailures: Int, windowSeconds: Int, lockSeconds: Int) async throws -> Bool

    /// Replaces the recovery codes of a confirmed factor; `false` when there is none.
    func replaceRecoveryCodes(userID: Int64, digests: [String]) async throws -> Bool

    /// Removes the factor, its recovery codes and the user's login challenges; `false` when there
    /// was no confirmed factor.
    func disable(userID: Int64) async throws -> Bool

    /// An administrator's reset, in one statement: the confirmed factor, its recovery codes and
    /// challenges go, `mfa_enabled` turns off, and the user's tokens (`token_epoch` moved to
    /// `tokensValidAfterMilliseconds`) and API keys end; `false` when there was no confirmed factor.
    func resetByAdministrator(userID: Int64, tokensValidAfterMilliseconds: Int64) async throws -> Bool

    /// Stores a login challenge waiting for a code, with the user's `tokens_valid_after_ms` as
    /// it was when the password was checked.
    func createChallenge(digest: String, userID: Int64, route: String, tokensValidAfterMilliseconds: Int64, lifetimeSeconds: Int) async throws

    /// Uses one attempt of a live challenge and claims it while its code is checked (a second
    /// request with it meanwhile finds nothing), or `nil` when it is unknown, expired, out of
    /// attempts or claimed.
    func attemptChallenge(digest: String, maximumAttempts: Int) async throws -> LoginChallenge?

    /// Deletes the claimed challenge: its code was right.
    func consumeChallenge(digest: String) async throws

    /// Gives the claimed challenge back: its code was wrong (the attempts it has left stay).
    func releaseChallenge(digest: String) async throws

    /// Whether any account has a factor (identity refuses to start without the key then).
    func anyFactorExists() async throws -> Bool
}

/// A login challenge as a request claimed it.
public struct LoginChallenge: Sendable, Hashable {
    public var userID: Int64
    public var route: String
    /// The user's `tokens_valid_after_ms` when the password was checked: once it moved (a
    /// password change or reset, "log out everywhere"), the challenge is dead. The same value
    /// compared, not two clocks.
    public var tokensValidAfterMilliseconds: Int64
}

/// A user's TOTP factor as stored.
public struct TOTPFactor: Sendable, Hashable {
    public var sealedSecret: String
    public var confirmed: Bool
    public var lastStep: Int64
    /// Seconds since 1970 until which codes are refused, if locked.
    public var lockedUntil: Double?
}

/// ``MFAStore`` in `mfa_totp`, `mfa_recovery_codes` and `mfa_challenges`; `users.mfa_enabled`
/// follows the confirmed factor in the same statements.
public struct PostgresMFAStore: MFAStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let notLocked = "(locked_until IS NULL OR locked_until <= now())"

    static let enrollStatement = PreparedStatement(
        name: "mfa_enroll",
        sql: """
            INSERT INTO mfa_totp AS t (user_id, secret_sealed) VALUES ($1, $2)
            ON CONFLICT (user_id) DO UPDATE
                SET secret_sealed = EXCLUDED.secret_sealed, last_step = 0, failure_times = '{}', locked_until = NULL, created_at = now()
            WHERE t.confirmed_at IS NULL
            RETURNING user_id
            """
    )

    static let factorStatement = PreparedStatement(
        name: "mfa_factor",
        sql: """
            SELECT secret_sealed, confirmed_at IS NOT NULL AS confirmed, last_step,
                extract(epoch FROM locked_until)::float8 AS locked_until
            FROM mfa_totp WHERE user_id = $1
            """
    )

    static let confirmStatement = PreparedStatement(
        name: "mfa_confirm",
        sql: """
            WITH confirmed AS (
                UPDATE mfa_totp SET last_step = $2, confirmed_at = now(), failure_times = '{}'
                WHERE user_id = $1 AND confirmed_at IS NULL AND secret_sealed = $4 AND last_step < $2 AND \(notLocked)
                RETURNING user_id
            ), flag AS (
                UPDATE users SET mfa_enabled = true, updated_at = now() WHERE id IN (SELECT user_id FROM confirmed)
            ), cleared AS (
                DELETE FROM mfa_recovery_codes WHERE user_id IN (SELECT user_id FROM confirmed)
            ), codes AS (
                INSERT INTO mfa_recovery_codes (user_id, code_digest) SELECT user_id, unnest($3::text[]) FROM confirmed
            )
            SELECT count(*) AS confirmed FROM confirmed
            """
    )

    // The conditional update is the whole replay check: of two requests with one code, at one
    // instance or two, the second finds `last_step` already there and changes nothing.
    static let useStepStatement = PreparedStatement(
        name: "mfa_use_step",
        sql: """
            UPDATE mfa_totp SET last_step = $2, failure_times = '{}'
            WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2 AND \(notLocked)
            RETURNING user_id
            """
    )

    static let useRecoveryCodeStatement = PreparedStatement(
        name: "mfa_use_recovery_code",
        sql: """
            WITH factor AS (
                SELECT user_id FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL AND \(notLocked) FOR SHARE
            ), used AS (
                DELETE FROM mfa_recovery_codes WHERE user_id IN (SELECT user_id FROM factor) AND code_digest = $2
                RETURNING user_id
            )
            SELECT (SELECT count(*) FROM used) AS used, (SELECT count(*) FROM mfa_recovery_codes WHERE user_id = $1) AS total
            """
    )

    // Failures while locked are not counted (they would only move the lock on). The times of
    // the wrong codes of the last window are kept, so the count is of any window, not of one that
    // starts at the first failure. The row's lock serialises it with code checks.
    static let recordFailureStatement = PreparedStatement(
        name: "mfa_record_failure",
        sql: """
            WITH counted AS (
                SELECT user_id, array(
                    SELECT t FROM unnest(failure_times) t WHERE t > now() - make_interval(secs => $3::int) ORDER BY t
                ) || now() AS times
                FROM mfa_totp WHERE user_id = $1 AND \(notLocked) FOR UPDATE
            )
            UPDATE mfa_totp t SET failure_times = c.times,
                locked_until = CASE WHEN cardinality(c.times) >= $2 THEN now() + make_interval(secs => $4::int) ELSE NULL END
            FROM counted c WHERE t.user_id = c.user_id
            RETURNING t.locked_until IS NOT NULL AS locked
            """
    )

    // Three statements in a transaction: each sees what the one before committed, so of two
    // replacements at once the second deletes the first's codes (one statement's snapshot would not).
    static let lockFactorStatement = PreparedStatement(
        name: "mfa_lock_factor",
        sql: "SELECT user_id FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE"
    )

    static let deleteRecoveryCodesStatement = PreparedStatement(
        name: "mfa_delete_recovery_codes",
        sql: "DELETE FROM mfa_recovery_codes WHERE user_id = $1"
    )

    static let insertRecoveryCodesStatement = PreparedStatement(
        name: "mfa_insert_recovery_codes",
        sql: "INSERT INTO mfa_recovery_codes (user_id, code_digest) SELECT $1, unnest($2::text[])"
    )

    static let disableStatement = PreparedStatement(
        name: "mfa_disable",
        sql: """
            WITH gone AS (
                DELETE FROM mfa_totp WHERE user_id = $1 RETURNING user_id, confirmed_at IS NOT NULL AS confirmed
            ), codes AS (
                DELETE FROM mfa_recovery_codes WHERE user_id IN (SELECT user_id FROM gone)
            ), challenges AS (
                DELETE FROM mfa_challenges WHERE user_id IN (SELECT user_id FROM gone)
            ), flag AS (
                UPDATE users SET mfa_enabled = false, updated_at = now() WHERE id IN (SELECT user_id FROM gone) AND mfa_enabled
            )
            SELECT count(*) FILTER (WHERE confirmed) AS removed FROM gone
            """
    )

    static let resetStatement = PreparedStatement(
        name: "mfa_reset_by_administrator",
        sql: """
            WITH gone AS (
                DELETE FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL RETURNING user_id
            ), codes AS (
                DELETE FROM mfa_recovery_codes WHERE user_id IN (SELECT user_id FROM gone)
            ), challenges AS (
                DELETE FROM mfa_challenges WHERE user_id IN (SELECT user_id FROM gone)
            ), keys AS (
                UPDATE api_keys SET revoked_at = now() WHERE user_id IN (SELECT user_id FROM gone) AND revoked_at IS NULL
            ), flag AS (
                UPDATE users SET mfa_enabled = false, token_epoch = greatest(token_epoch, $2), updated_at = now()
                WHERE id IN (SELECT user_id FROM gone)
            )
            SELECT count(*) AS removed FROM gone
            """
    )

    // Expired challenges are swept by each new one (the index on expires_at keeps it cheap).
    static let createChallengeStatement = PreparedStatement(
        name: "mfa_create_challenge",
        sql: """
            WITH expired AS (DELETE FROM mfa_challenges WHERE expires_at < now() - interval '1 minute')
            INSERT INTO mfa_challenges (token_digest, user_id, route, tokens_valid_after_ms, expires_at)
            VALUES ($1, $2, $3, $5, now() + make_interval(secs => $4::int))
            """
    )

    // One attempt per request, counted before the code is looked at, serialised by the row's
    // lock; the claim keeps a second request with the same token out until this one is done (it
    // lapses after 10 s should identity die meanwhile), so one token never spends two factors.
    static let attemptChallengeStatement = PreparedStatement(
        name: "mfa_attempt_challenge",
        sql: """
            UPDATE mfa_challenges SET attempts = attempts + 1, claimed_until = clock_timestamp() + interval '10 seconds'
            WHERE token_digest = $1 AND expires_at > now() AND attempts < $2
                AND (claimed_until IS NULL OR claimed_until < clock_timestamp())
            RETURNING user_id, route, tokens_valid_after_ms
            """
    )

    // A claimed challenge is consumed even if it expired while its code was checked.
    static let consumeChallengeStatement = PreparedStatement(
        name: "mfa_consume_challenge",
        sql: "DELETE FROM mfa_challenges WHERE token_digest = $1"
    )

    static let releaseChallengeStatement = PreparedStatement(
        name: "mfa_release_challenge",
        sql: "UPDATE mfa_challenges SET claimed_until = NULL WHERE token_digest = $1"
    )

    static let anyFactorStatement = PreparedStatement(
        name: "mfa_any_factor",
        sql: "SELECT EXISTS (SELECT 1 FROM mfa_totp) AS any"
    )

    public func enroll(userID: Int64, sealedSecret: String) async throws -> Bool {
        try await self.pool.run { try !$0.query(Self.enrollStatement, [String(userID), sealedSecret]).rows.isEmpty }
    }

    public func factor(userID: Int64) async throws -> TOTPFactor? {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.factorStatement, [String(userID)])
            guard let sealed = rows.first("secret_sealed"), let lastStep = rows.first("last_step").flatMap({ Int64($0) }) else { return nil }
            return TOTPFactor(
                sealedSecret: sealed,
                confirmed: rows.first("confirmed") == "t",
                lastStep: lastStep,
                lockedUntil: rows.first("locked_until").flatMap { Double($0) }
            )
        }
    }

    public func confirm(userID: Int64, sealedSecret: String, step: Int64, recoveryDigests: [String]) async throws -> Bool {
        let parameters = [String(userID), String(step), Self.textArray(recoveryDigests), sealedSecret]
        return try await self.pool.run { try $0.query(Self.confirmStatement, parameters).first("confirmed") == "1" }
    }

    public func useStep(userID: Int64, step: Int64) async throws -> Bool {
        try await self.pool.run { try !$0.query(Self.useStepStatement, [String(userID), String(step)]).rows.isEmpty }
    }

    public func useRecoveryCode(userID: Int64, digest: String) async throws -> Int? {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.useRecoveryCodeStatement, [String(userID), digest])
            guard rows.first("used") == "1", let total = rows.first("total").flatMap({ Int($0) }) else { return nil }
            return max(total - 1, 0)
        }
    }

    public func recordFailure(userID: Int64, maximumFailures: Int, windowSeconds: Int, lockSeconds: Int) async throws -> Bool {
        let parameters = [String(userID), String(maximumFailures), String(windowSeconds), String(lockSeconds)]
        return try await self.pool.run { try $0.query(Self.recordFailureStatement, parameters).first("locked") == "t" }
    }

    public func replaceRecoveryCodes(userID: Int64, digests: [String]) async throws -> Bool {
        let id = String(userID)
        let codes = Self.textArray(digests)
        return try await self.pool.run { connection in
            try connection.transaction {
                guard try !connection.query(Self.lockFactorStatement, [id]).rows.isEmpty else { return false }
                _ = try connection.query(Self.deleteRecoveryCodesStatement, [id])
                _ = try connection.query(Self.insertRecoveryCodesStatement, [id, codes])
                return true
            }
        }
    }

    public func disable(userID: Int64) async throws -> Bool {
        try await self.pool.run { try $0.query(Self.disableStatement, [String(userID)]).first("removed") == "1" }
    }

    public func createChallenge(
        digest: String,
        userID: Int64,
        route: String,
        tokensValidAfterMilliseconds: Int64,
        lifetimeSeconds: Int
    ) async throws {
        let parameters = [digest, String(userID), route, String(lifetimeSeconds), String(tokensValidAfterMilliseconds)]
        _ = try await self.pool.run { try $0.query(Self.createChallengeStatement, parameters) }
    }

    public func attemptChallenge(digest: String, maximumAttempts: Int) async throws -> LoginChallenge? {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.attemptChallengeStatement, [digest, String(maximumAttempts)])
            guard let userID = rows.first("user_id").flatMap({ Int64($0) }), let route = rows.first("route"),
                let validAfter = rows.first("tokens_valid_after_ms").flatMap({ Int64($0) })
            else { return nil }
            return LoginChallenge(userID: userID, route: route, tokensValidAfterMilliseconds: validAfter)
        }
    }

    public func consumeChallenge(digest: String) async throws {
        _ = try await self.pool.run { try $0.query(Self.consumeChallengeStatement, [digest]) }
    }

    public func releaseChallenge(digest: String) async throws {
        _ = try await self.pool.run { try $0.query(Self.releaseChallengeStatement, [digest]) }
    }

    public func resetByAdministrator(userID: Int64, tokensValidAfterMilliseconds: Int64) async throws -> Bool {
        try await self.pool.run {
            try $0.query(Self.resetStatement, [String(userID), String(tokensValidAfterMilliseconds)]).first("removed") == "1"
        }
    }

    public func anyFactorExists() async throws -> Bool {
        try await self.pool.run { try $0.query(Self.anyFactorStatement).first("any") == "t" }
    }

    /// A PostgreSQL array literal of hex digests (no character in them needs quoting).
    static func textArray(_ values: [String]) -> String {
        "{" + values.joined(separator: ",") + "}"
    }
}
