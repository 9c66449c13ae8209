/// How often one address may be sent a message of one purpose, whoever asks and whether or not an
/// account has it: one a minute and five an hour. Counted on a keyed hash of the address, in
/// PostgreSQL, so every identity instance counts the same.
/// Production: ``PostgresMailSendLimits``.
public protocol MailSendLimits: Sendable {
    /// Counts a send to the address hashed as `targetDigest` and answers whether it may go.
    func admit(targetDigest: String, purpose: String) async throws -> Bool

    /// Forgets counts whose hour is long over.
    func prune() async throws
}

/// ``MailSendLimits`` in `mail_send_limits`: one conditional upsert per send, atomic across
/// instances.
public struct PostgresMailSendLimits: MailSendLimits {
    let pool: PostgresPool
    /// Seconds between two sends to one address.
    let minimumGapSeconds: Int
    /// Sends to one address within an hour.
    let perHour: Int

    public init(pool: PostgresPool, minimumGapSeconds: Int = 60, perHour: Int = 5) {
        self.pool = pool
        self.minimumGapSeconds = minimumGapSeconds
        self.perHour = perHour
    }

    // A row is written only when the send is admitted: refused sends move nothing on. The time is
    // the clock's (`clock_timestamp()`), not the transaction's start: a send that waited on the
    // row's lock behind a later one must not find that one's time in its future.
    static let admitStatement = PreparedStatement(
        name: "mail_send_limits_admit",
        sql: """
            INSERT INTO mail_send_limits AS l (target_digest, purpose, last_sent_at, window_started_at, window_count)
            VALUES ($1, $2, clock_timestamp(), clock_timestamp(), 1)
            ON CONFLICT (target_digest, purpose) DO UPDATE SET
                last_sent_at = clock_timestamp(),
                window_started_at = CASE WHEN l.window_started_at <= clock_timestamp() - interval '1 hour' THEN clock_timestamp() ELSE l.window_started_at END,
                window_count = CASE WHEN l.window_started_at <= clock_timestamp() - interval '1 hour' THEN 1 ELSE l.window_count + 1 END
            WHERE l.last_sent_at <= clock_timestamp() - make_interval(secs => $3::int)
                AND (l.window_started_at <= clock_timestamp() - interval '1 hour' OR l.window_count < $4)
            RETURNING 1 AS admitted
            """
    )

    static let pruneStatement = PreparedStatement(
        name: "mail_send_limits_prune",
        sql: "DELETE FROM mail_send_limits WHERE window_started_at < now() - interval '2 hours'"
    )

    public func admit(targetDigest: String, purpose: String) async throws -> Bool {
        let parameters = [targetDigest, purpose, String(self.minimumGapSeconds), String(self.perHour)]
        return try await self.pool.run { try $0.query(Self.admitStatement, parameters).first("admitted") == "1" }
    }

    public func prune() async throws {
        _ = try await self.pool.run { try $0.query(Self.pruneStatement) }
    }
}
