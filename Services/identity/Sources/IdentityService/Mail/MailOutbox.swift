import ServiceRuntime

/// A message waiting in the outbox, as the courier claimed it.
public struct OutboxMessage: Sendable, Hashable {
    public var id: Int64
    public var envelopeFrom: String
    public var recipient: String
    /// The rendered message (RFC 5322, CRLF).
    public var message: String
    /// Attempts so far, this one included.
    public var attempts: Int
    /// Seconds since it was queued.
    public var age: Double
    /// This claim's: the outcome is recorded only under it, so a courier whose lease ran out
    /// (another took the message over) cannot overwrite the other's outcome.
    public var claimToken: String
}

/// Where mail waits for the courier. Production: ``PostgresMailOutbox``.
public protocol MailOutbox: Sendable {
    /// Queues a message.
    @discardableResult
    func enqueue(purpose: String, envelopeFrom: String, recipient: String, message: String) async throws -> Int64

    /// Claims up to `limit` due messages for `leaseSeconds`: no other courier, of this instance
    /// or another, gets them meanwhile (a courier that dies leaves them due again afterwards).
    func claim(limit: Int, leaseSeconds: Double) async throws -> [OutboxMessage]

    /// Delivered: the message is erased, the row kept as its record.
    func markSent(_ message: OutboxMessage) async throws

    /// Not delivered, worth trying again in `seconds`.
    func retry(_ message: OutboxMessage, inSeconds seconds: Double, error: String) async throws

    /// Given up: the message is erased.
    func markFailed(_ message: OutboxMessage, error: String) async throws

    /// Messages waiting and the age of the oldest, in seconds (0 when none waits).
    func waiting() async throws -> (count: Int, oldestSeconds: Double)

    /// Gives up messages whose code and link have died, and forgets the records of messages
    /// delivered or given up more than `days` ago.
    func prune(olderThanDays days: Int) async throws
}

/// ``MailOutbox`` in PostgreSQL's `mail_outbox`: a claim is one statement, `FOR UPDATE SKIP
/// LOCKED`, which pushes the claimed rows' next attempt past the lease; couriers of several
/// identity instances never deliver one message twice.
///
/// Messages wait sealed (``MailSeal``); one that no longer opens (the secret changed) is given up
/// as it is claimed, not tried again.
public struct PostgresMailOutbox: MailOutbox {
    let pool: PostgresPool
    let seal: MailSeal

    public init(pool: PostgresPool, seal: MailSeal) {
        self.pool = pool
        self.seal = seal
    }

    static let enqueueStatement = PreparedStatement(
        name: "mail_outbox_enqueue",
        sql: "INSERT INTO mail_outbox (purpose, envelope_from, recipient, message) VALUES ($1, $2, $3, $4) RETURNING id"
    )

    static let claimStatement = PreparedStatement(
        name: "mail_outbox_claim",
        sql: """
            WITH due AS (
                SELECT id FROM mail_outbox
                WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now() AND (expires_at IS NULL OR expires_at > now())
                ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
            )
            UPDATE mail_outbox o
            SET next_attempt_at = now() + make_interval(secs => $2::double precision), attempts = o.attempts + 1, claim_token = $3
            FROM due WHERE o.id = due.id
            RETURNING o.id, o.envelope_from, o.recipient, o.message, o.attempts, extract(epoch FROM now() - o.created_at) AS age
            """
    )

    static let sentStatement = PreparedStatement(
        name: "mail_outbox_sent",
        sql: "UPDATE mail_outbox SET sent_at = now(), message = NULL, last_error = NULL WHERE id = $1 AND claim_token = $2 AND failed_at IS NULL"
    )

    static let retryStatement = PreparedStatement(
        name: "mail_outbox_retry",
        sql: """
            UPDATE mail_outbox SET next_attempt_at = now() + make_interval(secs => $2::double precision), last_error = $3
            WHERE id = $1 AND claim_token = $4 AND sent_at IS NULL AND failed_at IS NULL
            """
    )

    static let failedStatement = PreparedStatement(
        name: "mail_outbox_failed",
        sql: "UPDATE mail_outbox SET failed_at = now(), message = NULL, last_error = $2 WHERE id = $1 AND claim_token = $3 AND sent_at IS NULL"
    )

    static let waitingStatement = PreparedStatement(
        name: "mail_outbox_waiting",
        sql: """
            SELECT count(*) AS count, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
            FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            """
    )

    public func enqueue(purpose: String, envelopeFrom: String, recipient: String, message: String) async throws -> Int64 {
        try await self.pool.run { connection in
            let sealed = self.seal.seal(message, recipient: recipient)
            let rows = try connection.query(Self.enqueueStatement, [purpose, envelopeFrom, recipient, sealed])
            return rows.first("id").flatMap { Int64($0) } ?? 0
        }
    }

    public func claim(limit: Int, leaseSeconds: Double) async throws -> [OutboxMessage] {
        let token = Hex.encode(Sodium.randomBytes(16))
        return try await self.pool.run { connection in
            let result = try connection.query(Self.claimStatement, [String(limit), String(leaseSeconds), token])
            var claimed: [OutboxMessage] = []
            for row in result.rows {
                guard row.count == 6, let id = row[0].flatMap({ Int64($0) }), let from = row[1], let to = row[2],
                    let attempts = row[4].flatMap({ Int($0) }), let age = row[5].flatMap({ Double($0) })
                else { continue }
                guard let message = row[3].flatMap({ self.seal.open($0, recipient: to) }) else {
                    _ = try connection.query(Self.failedStatement, [String(id), "the sealed message does not open (API_KEY_SECRET changed?)", token])
                    continue
                }
                claimed.append(
                    OutboxMessage(id: id, envelopeFrom: from, recipient: to, message: message, attempts: attempts, age: age, claimToken: token)
                )
            }
            return claimed
        }
    }

    public func markSent(_ message: OutboxMessage) async throws {
        _ = try await self.pool.run { try $0.query(Self.sentStatement, [String(message.id), message.claimToken]) }
    }

    public func retry(_ message: OutboxMessage, inSeconds seconds: Double, error: String) async throws {
        let parameters = [String(message.id), String(seconds), String(error.prefix(500)), message.claimToken]
        _ = try await self.pool.run { try $0.query(Self.retryStatement, parameters) }
    }

    public func markFailed(_ message: OutboxMessage, error: String) async throws {
        _ = try await self.pool.run { try $0.query(Self.failedStatement, [String(message.id), String(error.prefix(500)), message.claimToken]) }
    }

    static let pruneStatement = PreparedStatement(
        name: "mail_outbox_prune",
        sql: "DELETE FROM mail_outbox WHERE coalesce(sent_at, failed_at) < now() - make_interval(days => $1::int)"
    )

    // A code or link that died before it was delivered is not worth sending.
    static let expireStatement = PreparedStatement(
        name: "mail_outbox_expire",
        sql: """
            UPDATE mail_outbox SET failed_at = now(), message = NULL, last_error = 'expired before delivery'
            WHERE expires_at <= now() AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
            """
    )

    public func prune(olderThanDays days: Int) async throws {
        _ = try await self.pool.run { connection in
            _ = try connection.query(Self.expireStatement)
            return try connection.query(Self.pruneStatement, [String(days)])
        }
    }

    public func waiting() async throws -> (count: Int, oldestSeconds: Double) {
        try await self.pool.run { connection in
            let rows = try connection.query(Self.waitingStatement)
            return (rows.first("count").flatMap { Int($0) } ?? 0, rows.first("oldest").flatMap { Double($0) } ?? 0)
        }
    }
}
