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

    /// Consumes the challenge whose link token hashes to `tokenDigest`, if it is live: the user
    /// and the address it was sent to. Once only, whoever asks at the same time.
    func consume(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)?

    /// Consumes the user's challenge if `codeDigest` is its code's and the code is live with
    /// attempts left; a wrong code uses one of `maximumAttempts` up. Once only.
    func consume(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose, maximumAttempts: Int) async throws -> String?
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

/// ``ChallengeStore`` in `account_challenges`, with its mail in `mail_outbox`.
public struct PostgresChallengeStore: ChallengeStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
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
            INSERT INTO mail_outbox (purpose, envelope_from, recipient, message)
            SELECT $8, $9, $10, $11 FROM challenge
            """
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
    // count, however many arrive at once; the right one is then consumed by a delete.
    static let guessCodeStatement = PreparedStatement(
        name: "challenges_guess_code",
        sql: """
            UPDATE account_challenges SET code_attempts = code_attempts + 1
            WHERE user_id = $1 AND purpose = $2 AND code_expires_at > now() AND code_attempts < $4
            RETURNING code_digest = $3 AS hit
            """
    )

    static let consumeCodeStatement = PreparedStatement(
        name: "challenges_consume_code",
        sql: "DELETE FROM account_challenges WHERE user_id = $1 AND purpose = $2 AND code_digest = $3 RETURNING email"
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
            mail.purpose, mail.envelopeFrom, mail.recipient, mail.message,
        ]
        _ = try await self.pool.run { try $0.query(Self.issueStatement, parameters) }
    }

    public func consume(tokenDigest: String, purpose: AccountChallenge.Purpose) async throws -> (userID: Int64, email: String)? {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.consumeTokenStatement, [tokenDigest, purpose.rawValue])
            guard let userID = rows.first("user_id").flatMap({ Int64($0) }), let email = rows.first("email") else { return nil }
            return (userID, email)
        }
    }

    public func consume(userID: Int64, codeDigest: String, purpose: AccountChallenge.Purpose, maximumAttempts: Int) async throws -> String? {
        let parameters = [String(userID), purpose.rawValue, codeDigest, String(maximumAttempts)]
        return try await self.pool.run { connection in
            guard try connection.query(Self.guessCodeStatement, parameters).first("hit") == "t" else { return nil }
            return try connection.query(Self.consumeCodeStatement, Array(parameters.prefix(3))).first("email")
        }
    }
}
