public import Logging
public import ServiceLifecycle
import ServiceRuntime
public import WireProtocol

/// Requests for a verification or reset message, answered at once and worked off here, one after
/// another: the answer is the same, and comes as fast, whether the address has an account,
/// whether a message goes, and whatever the limits decide.
///
/// For each: count the send against the address's limits (``MailSendLimits``, the same for every
/// address), look the address up, and, when an account has it (not yet verified, for a
/// verification), issue the challenge with its message. Each request is audited with its
/// outcome, never with the address.
public struct ChallengeRequests: Service {
    /// One request, as the operation took it.
    public struct Request: Sendable {
        public var email: String
        public var purpose: AccountChallenge.Purpose
        public var client: WireClientInfo
        public var requestID: String
    }

    let queue: BoundedWorkQueue<Request>

    /// - Parameter capacity: requests waiting before new ones are dropped (the answer is the same).
    public init(users: any UserStore, mail: AccountMail, audit: AuditLog?, capacity: Int = 1024, logger: Logger) {
        // The work starts a moment after the request that queued it was answered, so that it
        // competes with no answer of its own kind: a registered address must not answer slower.
        let queue = BoundedWorkQueue<Request>(
            name: "account_challenges",
            capacity: capacity,
            maximumBatch: 16,
            gatherDelay: .milliseconds(50),
            logger: logger
        ) { batch in
            for request in batch {
                await Self.work(request, users: users, mail: mail, audit: audit, logger: logger)
            }
        }
        self.queue = queue
    }

    /// Queues `request`; `false` when the queue was full and it was dropped.
    @discardableResult
    public func submit(_ request: Request) -> Bool {
        self.queue.submit(request)
    }

    public func run() async throws {
        try await self.queue.run()
    }

    static func work(_ request: Request, users: any UserStore, mail: AccountMail, audit: AuditLog?, logger: Logger) async {
        let kind: AuditEvent.Kind = request.purpose == .verifyEmail ? .verificationRequested : .passwordResetRequested
        func record(_ user: UserRecord?, _ outcome: String) {
            audit?.record(
                AuditEvent(
                    kind,
                    userID: user?.id,
                    username: user?.username,
                    ip: request.client.ip,
                    userAgent: request.client.userAgent,
                    requestID: request.requestID,
                    detail: ["outcome": outcome]
                )
            )
        }
        do {
            let admitted = try await mail.admitSend(to: request.email, purpose: request.purpose.rawValue)
            let user = try await users.find(email: request.email)
            guard admitted else { return record(user, "limited") }
            guard let user, user.canLogIn else { return record(user, user == nil ? "no_account" : "inactive") }
            guard request.purpose == .resetPassword || !user.isVerified else { return record(user, "already_verified") }
            try await mail.issue(request.purpose, to: user.email, for: user)
            record(user, "sent")
        } catch {
            logger.warning("account message not queued", metadata: ["purpose": "\(request.purpose.rawValue)", "error": "\(error)"])
        }
    }
}
