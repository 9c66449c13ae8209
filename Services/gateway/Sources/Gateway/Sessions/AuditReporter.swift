import Logging
import ServiceLifecycle
import ServiceRuntime
import WireProtocol

/// Sends identity the audit events only the gateway sees (refresh, reuse detected, logout,
/// sessions ended)
/// without making the request wait: a bounded queue, drained in batches (one frame for what has
/// gathered) by one task; a full queue or an unreachable identity drops events (counted and
/// logged), never the request.
struct AuditReporter: Service {
    private let queue: BoundedWorkQueue<WireAuditEventRecord>

    init(identity: IdentityClient, capacity: Int = 4096, logger: Logger) {
        self.queue = BoundedWorkQueue(name: "audit reporter", capacity: capacity, gatherDelay: .milliseconds(20), logger: logger) { events in
            try await identity.recordAudit(events)
        }
    }

    func report(_ event: String, userID: Int64, client: WireClientInfo, requestID: String, detail: [String: String] = [:]) {
        var record = WireAuditEventRecord()
        record.event = event
        record.userID = userID
        record.client = client
        record.requestID = requestID
        record.detail = detail
        self.queue.submit(record)
    }

    func run() async throws {
        try await self.queue.run()
    }
}
