import Logging
import ServiceLifecycle
import ServiceSupport
import WireProtocol

/// Sends identity the audit events only the gateway sees (refresh, reuse detected, logout)
/// without making the request wait: a bounded queue, drained by one task; a full queue or an
/// unreachable identity drops the event (counted and logged), never the request.
struct AuditReporter: Service {
    private let queue: BoundedWorkQueue<(WireAuditEventRecord, String)>

    init(identity: IdentityClient, capacity: Int = 4096, logger: Logger) {
        self.queue = BoundedWorkQueue(name: "audit reporter", capacity: capacity, logger: logger) { event, requestID in
            try await identity.recordAudit(event, requestID: requestID)
        }
    }

    func report(_ event: String, userID: Int64, username: String = "", client: WireClientInfo, requestID: String, detail: [String: String] = [:]) {
        var record = WireAuditEventRecord()
        record.event = event
        record.userID = userID
        record.username = username
        record.client = client
        record.detail = detail
        self.queue.submit((record, requestID))
    }

    func run() async throws {
        try await self.queue.run()
    }
}
