import ServiceRuntime
import WireProtocol
import WireTransport

/// The audit trail: events this process records as it works, and those other processes saw
/// and identity stores (refresh, reuse, logout).
extension IdentityOperations {
    func registerAuditOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.recordAudit) { (request: WireAuditEventBatch, context) in try await self.recordAudit(request, context) }
    }

    /// Events only the gateway sees (refresh, reuse, logout); other kinds are refused so the
    /// operation cannot forge, say, a role change.
    func recordAudit(_ batch: WireAuditEventBatch, _ context: WireRequest) async throws -> WireEmpty {
        guard batch.events.count <= 1024 else { throw IdentityError.invalidField(field: "events", reason: "at most 1024 at once") }
        for record in batch.events {
            guard let kind = AuditEvent.Kind(rawValue: record.event), AuditEvent.Kind.reportable.contains(kind) else {
                throw IdentityError.invalidField(field: "event", reason: "is not an event other services report")
            }
            let detail = record.detail.filter { $0.key.utf8.count <= 64 && $0.value.utf8.count <= 256 }.prefix(8)
            self.audit?.record(
                AuditEvent(
                    kind,
                    userID: record.userID > 0 ? record.userID : nil,
                    username: record.username.isEmpty ? nil : record.username,
                    ip: record.client.ip,
                    userAgent: record.client.userAgent,
                    requestID: record.requestID,
                    detail: Dictionary(uniqueKeysWithValues: detail.map { ($0.key, $0.value) })
                )
            )
        }
        return WireEmpty()
    }

    /// Records an audit event about `user`. An attempted `login` that matches no user is kept
    /// only as a keyed digest (`login_digest`): people type passwords into the name field, and
    /// the trail is kept for long; the digest still links repeated attempts at one name.
    func record(
        _ kind: AuditEvent.Kind,
        user: UserRecord?,
        login: String? = nil,
        _ client: WireClientInfo,
        _ context: WireRequest,
        detail: [String: String] = [:]
    ) {
        guard let audit = self.audit else { return }
        var detail = detail
        if user == nil, let login {
            detail["login_digest"] = Hex.encode(Sodium.hmacSHA256(key: self.auditLoginKey, message: Array(login.lowercased().utf8)).prefix(16))
        }
        audit.record(
            AuditEvent(
                kind,
                userID: user?.id,
                username: user?.username,
                ip: client.ip,
                userAgent: client.userAgent,
                requestID: context.header.requestID,
                detail: detail
            )
        )
    }
}
