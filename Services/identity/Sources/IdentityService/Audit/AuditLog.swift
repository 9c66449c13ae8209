public import Logging
import Metrics
import NIOCore
public import ServiceLifecycle
import ServiceRuntime

/// Where audit events are kept. Production: ``PostgresAuditStore``.
public protocol AuditStore: Sendable {
    /// Stores the events, all or none.
    func insert(_ events: [AuditEvent]) async throws
}

/// Records audit events without ever slowing or failing the request that caused them: events
/// are logged at once and queued (bounded) for a single writer that stores what has gathered in
/// 100 ms in one statement; when the queue is full, or the store refuses, events are dropped and
/// counted (as are the queued ones if the process dies before writing them).
///
/// Run it as a service; on shutdown it writes what is queued, then stops. Metrics: events by
/// kind (`audit_events_total`: logins, failures, lockouts, reuse detections, ...) and drops
/// (`work_queue_dropped_total{queue="audit"}`).
public struct AuditLog: Service {
    private let logger: Logger
    private let queue: BoundedWorkQueue<AuditEvent>
    /// One counter per kind, made at start (the kinds are a closed set): no lookup under a lock.
    private let events = Dictionary(
        uniqueKeysWithValues: AuditEvent.Kind.allCases.map { ($0, Counter(label: "audit_events_total", dimensions: [("kind", $0.rawValue)])) }
    )

    /// - Parameter capacity: events waiting to be written before new ones are dropped.
    public init(store: any AuditStore, capacity: Int = 4096, logger: Logger) {
        self.logger = logger
        // Events gather for 100 ms: under login load a 20 ms window wrote a batch of two every
        // 20 ms, and each batch wakes half a dozen threads here and a PostgreSQL backend
        // (README, Benchmarks). Every event is logged at once; the row follows within 100 ms.
        self.queue = BoundedWorkQueue(name: "audit", capacity: capacity, gatherDelay: .milliseconds(100), logger: logger) {
            try await store.insert($0)
        }
    }

    /// Events lost since start (queue full or store failing).
    public var dropped: Int { self.queue.dropped }

    /// Logs the event and queues it for the store; never waits.
    public func record(_ event: AuditEvent) {
        var metadata: Logger.Metadata = ["event": "\(event.kind.rawValue)", "ip": "\(event.ip)"]
        if let userID = event.userID { metadata["user_id"] = "\(userID)" }
        if !event.requestID.isEmpty { metadata["request_id"] = "\(event.requestID)" }
        for (key, value) in event.detail { metadata["detail.\(key)"] = "\(value)" }
        self.logger.info("audit", metadata: metadata)
        self.events[event.kind]?.increment()
        self.queue.submit(event)
    }

    public func run() async throws {
        try await self.queue.run()
    }
}

/// ``AuditStore`` on PostgreSQL.
public struct PostgresAuditStore: AuditStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    // Many events in one statement: one JSON array parameter, one row per element. The user id
    // is kept only if it names a user (an id from a token of a user since removed must not fail
    // the insert).
    static let insert = PreparedStatement(
        name: "audit_insert",
        sql: """
            INSERT INTO audit_events (occurred_at, event, user_id, username, ip, user_agent, request_id, detail)
            SELECT to_timestamp(e.at), e.event, (SELECT id FROM users WHERE id = e.user_id), e.username, e.ip, e.user_agent, e.request_id, e.detail
            FROM jsonb_to_recordset($1::jsonb) AS e(at float8, event text, user_id bigint, username text, ip text, user_agent text, request_id text, detail jsonb)
            """
    )

    public func insert(_ events: [AuditEvent]) async throws {
        guard !events.isEmpty else { return }
        var rows = ByteBuffer()
        rows.writeString("[")
        for (index, event) in events.enumerated() {
            if index > 0 { rows.writeString(",") }
            event.writeJSON(to: &rows)
        }
        rows.writeString("]")
        let parameter = String(buffer: rows)
        try await self.pool.run { _ = try $0.query(Self.insert, [parameter]) }
    }
}
