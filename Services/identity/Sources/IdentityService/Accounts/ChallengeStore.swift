/// Where verification and reset challenges live, with the mail that carries them.
/// Production: ``PostgresChallengeStore``.
public protocol ChallengeStore: Sendable {
    /// Replaces the user's challenge for its purpose and queues `mail` in the same statement: the
    /// message exists exactly when the challenge does.
    func issue(
        userID: Int64,
        email: String,
        purpose: AccountChallenge.Purpose,
        codeDigest: String,
        tokenDigest: String,
        codeLifetimeSeconds: Int,
        tokenLifetimeSeconds: Int,
        mail: QueuedMail
    ) async throws

    /// The live challenge whose link token hashes to `tokenDigest`, left in place: the user and the
    /// address it was sent to.
    func find(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)?

    /// Consumes the challenge whose link token hashes to `tokenDigest`, if it is live: the user
    /// and the address it was sent to. Once only, whoever asks at the same time.
    func consume(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)?

    /// Whether `codeDigest` is the live code of the user's challenge, using one of its
    /// `maximumAttempts` up whatever the answer; the challenge stays.
    /// A user's wrong codes in a day are limited too (``dailyWrongCodes``), across challenges.
    func checkCode(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose, maximumAttempts: Int) async throws -> Bool

    /// Consumes the user's challenge if `codeDigest` is its live code (checked first with
    /// ``checkCode(userID:codeDigest:purpose:maximumAttempts:)``): the address it was sent to.
    /// Once only.
    func consume(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose) async throws -> String?

    /// Deletes challenges whose code and link have both expired, and wrong-code counts over a day old.
    func pruneExpired() async throws
}

extension ChallengeStore {
    /// Checks the code (an attempt used) and, when it is right, consumes the challenge: the
    /// address it was sent to.
    public func consume(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose, maximumAttempts: Int) async throws -> String? {
        guard try await self.checkCode(userID: userID, codeDigest: codeDigest, purpose: purpose, maximumAttempts: maximumAttempts) else {
            return nil
        }
        return try await self.consume(userID: userID, codeDigest: codeDigest, purpose: purpose)
    }
}

/// A message for the outbox.
public struct QueuedMail: Sendable, Hashable {
    public var purpose: String
    public var envelopeFrom: String
    public var recipient: String
    public var message: String

    public init(purpose: String, envelopeFrom: String, recipient: String, message: String) {
        self.purpose = purpose
        self.envelopeFrom = envelopeFrom
        self.recipient = recipient
        self.message = message
    }
}

/// ``ChallengeStore`` in `account_challenges`, with its mail in `mail_outbox`, sealed.
public struct PostgresChallengeStore: ChallengeStore {
    let pool: PostgresPool
    let seal: MailSeal

    public init(pool: PostgresPool, seal: MailSeal) {
        self.pool = pool
        self.seal = seal
    }

    static let issueStatement = PreparedStatement(
        name: "challenges_issue",
        sql: """
            WITH challenge AS (
                INSERT INTO account_challenges
                    (user_id, purpose, email, code_digest, token_digest, code_expires_at, token_expires_at, code_attempts, created_at)
                VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::int), now() + make_interval(secs => $7::int), 0, now())
                ON CONFLICT (user_id, purpose) DO UPDATE SET
                    email = EXCLUDED.email, code_digest = EXCLUDED.code_digest, token_digest = EXCLUDED.token_digest,
                    code_expires_at = EXCLUDED.code_expires_at, token_expires_at = EXCLUDED.token_expires_at,
                    code_attempts = 0, created_at = now()
                RETURNING user_id
            )
            INSERT INTO mail_outbox (purpose, envelope_from, recipient, message, expires_at)
            SELECT $8, $9, $10, $11, now() + make_interval(secs => $7::int) FROM challenge
            """
    )

    static let findTokenStatement = PreparedStatement(
        name: "challenges_find_token",
        sql: "SELECT user_id, email FROM account_challenges WHERE token_digest = $1 AND purpose = $2 AND token_expires_at > now()"
    )

    static let consumeTokenStatement = PreparedStatement(
        name: "challenges_consume_token",
        sql: """
            DELETE FROM account_challenges
            WHERE token_digest = $1 AND purpose = $2 AND token_expires_at > now()
            RETURNING user_id, email
            """
    )

    // Each guess is one conditional update, serialised by the row's lock: at most `$4` guesses
    // count, however many arrive at once; the right one is then consumed by a delete. Before it,
    // the user's attempts of the day (`challenge_failures`, kept across new challenges) are
    // counted in a conditional upsert, serialised by that row's lock: past `$5`, no code is
    // checked at all (the link still works). An unknown user (id 0) counts nothing and matches
    // nothing.
    static let guessCodeStatement = PreparedStatement(
        name: "challenges_guess_code",
        sql: """
            WITH gate AS (
                INSERT INTO challenge_failures AS f (user_id, purpose, window_started_at, failures)
                SELECT $1, $2, now(), 1 WHERE EXISTS (
                    SELECT 1 FROM account_challenges WHERE user_id = $1 AND purpose = $2 AND code_expires_at > now() AND code_attempts < $4
                )
                ON CONFLICT (user_id, purpose) DO UPDATE SET
                    failures = CASE WHEN f.window_started_at <= now() - interval '1 day' THEN 1 ELSE f.failures + 1 END,
                    window_started_at = CASE WHEN f.window_started_at <= now() - interval '1 day' THEN now() ELSE f.window_started_at END
                WHERE f.window_started_at <= now() - interval '1 day' OR f.failures < $5
                RETURNING 1
            )
            UPDATE account_challenges SET code_attempts = code_attempts + 1
            WHERE user_id = $1 AND purpose = $2 AND code_expires_at > now() AND code_attempts < $4 AND EXISTS (SELECT 1 FROM gate)
            RETURNING code_digest = $3 AS hit
            """
    )

    static let consumeCodeStatement = PreparedStatement(
        name: "challenges_consume_code",
        sql: """
            DELETE FROM account_challenges WHERE user_id = $1 AND purpose = $2 AND code_digest = $3 AND code_expires_at > now()
            RETURNING email
            """
    )

    public func issue(
        userID: Int64,
        email: String,
        purpose: AccountChallenge.Purpose,
        codeDigest: String,
        tokenDigest: String,
        codeLifetimeSeconds: Int,
        tokenLifetimeSeconds: Int,
        mail: QueuedMail
    ) async throws {
        let parameters: [String?] = [
            String(userID), purpose.rawValue, email, codeDigest, tokenDigest, String(codeLifetimeSeconds), String(tokenLifetimeSeconds),
            mail.purpose, mail.envelopeFrom, mail.recipient, self.seal.seal(mail.message, recipient: mail.recipient),
        ]
        _ = try await self.pool.run { try $0.query(Self.issueStatement, parameters) }
    }

    public func find(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)? {
        try await self.pool.run { connection in
            Self.userAndEmail(try connection.query(Self.findTokenStatement, [tokenDigest, purpose.rawValue]))
        }
    }

    public func consume(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)? {
        try await self.pool.run { connection in
            Self.userAndEmail(try connection.query(Self.consumeTokenStatement, [tokenDigest, purpose.rawValue]))
        }
    }

    /// The codes a user may try in a day for one purpose, whatever the challenges.
    public static let dailyWrongCodes = 10

    public func checkCode(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose, maximumAttempts: Int) async throws -> Bool {
        let parameters = [String(userID), purpose.rawValue, codeDigest, String(maximumAttempts), String(Self.dailyWrongCodes)]
        return try await self.pool.run { try $0.query(Self.guessCodeStatement, parameters).first("hit") == "t" }
    }

    public func consume(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose) async throws -> String? {
        try await self.pool.run { try $0.query(Self.consumeCodeStatement, [String(userID), purpose.rawValue, codeDigest]).first("email") }
    }

    static let pruneStatement = PreparedStatement(
        name: "challenges_prune",
        sql: """
            WITH failures AS (DELETE FROM challenge_failures WHERE window_started_at < now() - interval '1 day')
            DELETE FROM account_challenges WHERE code_expires_at < now() AND token_expires_at < now()
            """
    )

    public func pruneExpired() async throws {
        _ = try await self.pool.run { try $0.query(Self.pruneStatement) }
    }

    static func userAndEmail(_ rows: PostgresRows) -> (userID: Int64, email: String)? {
        guard let userID = rows.first("user_id").flatMap({ Int64($0) }), let email = rows.first("email") else { return nil }
        return (userID, email)
    }
}
