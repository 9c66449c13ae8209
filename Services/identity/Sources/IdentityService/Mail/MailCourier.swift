public import Logging
import Metrics
public import ServiceLifecycle

/// Delivers what the outbox holds: claims due messages (``MailOutbox/claim(limit:leaseSeconds:)``,
/// so the couriers of several identity instances never deliver one twice), hands each to the
/// transport, and records the outcome: delivered (the message erased), a temporary failure
/// tried again after a delay that doubles from `firstRetry` up to `maximumRetry`, for up to
/// `retryWindow` after it was queued, or a permanent one given up at once.
///
/// Counts `mail_sent_total`, `mail_retried_total`, `mail_failed_total{reason}` (`rejected`: a
/// permanent failure; `expired`: temporary ones for longer than the window) and sets
/// `mail_waiting` and `mail_oldest_waiting_seconds` after each pass.
public struct MailCourier: Service {
    public struct Timing: Sendable {
        /// How often the outbox is read when the last pass found nothing.
        public var pollInterval: Duration = .seconds(1)
        /// How long a claim keeps other couriers off a message: longer than a delivery can take
        /// (the SMTP client's own deadline is 120 s); an outcome is recorded only under its claim.
        public var leaseSeconds: Double = 300
        public var firstRetrySeconds: Double = 60
        public var maximumRetrySeconds: Double = 3600
        /// How long after it was queued a message is still tried (a day).
        public var retryWindowSeconds: Double = 86400
        /// Messages claimed at once. They are delivered one after another, so the lease must cover
        /// them all: one at a time by default.
        public var batch: Int = 1

        public init() {}
    }

    // Fixed sets of instruments, made once.
    private static let sent = Counter(label: "mail_sent_total")
    private static let retried = Counter(label: "mail_retried_total")
    private static let rejected = Counter(label: "mail_failed_total", dimensions: [("reason", "rejected")])
    private static let expired = Counter(label: "mail_failed_total", dimensions: [("reason", "expired")])
    private static let waiting = Gauge(label: "mail_waiting")
    private static let oldestWaiting = Gauge(label: "mail_oldest_waiting_seconds")

    let outbox: any MailOutbox
    let transport: any MailTransport
    let timing: Timing
    let logger: Logger

    public init(outbox: any MailOutbox, transport: any MailTransport, timing: Timing = Timing(), logger: Logger) {
        self.outbox = outbox
        self.transport = transport
        self.timing = timing
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let claimed = await self.deliverDue()
            if claimed < self.timing.batch {
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.timing.pollInterval) }
            }
        }
    }

    /// One pass over the due messages; how many were claimed.
    @discardableResult
    public func deliverDue() async -> Int {
        let messages: [OutboxMessage]
        do {
            messages = try await self.outbox.claim(limit: self.timing.batch, leaseSeconds: self.timing.leaseSeconds)
        } catch {
            self.logger.warning("mail outbox not read", metadata: ["error": "\(error)"])
            return 0
        }
        for message in messages { await self.deliver(message) }
        if let waiting = try? await self.outbox.waiting() {
            Self.waiting.record(waiting.count)
            Self.oldestWaiting.record(waiting.oldestSeconds)
        }
        return messages.count
    }

    private func deliver(_ message: OutboxMessage) async {
        let metadata: Logger.Metadata = ["mail_id": "\(message.id)", "attempt": "\(message.attempts)"]
        let outcome: Result<Void, MailDeliveryError>
        do {
            try await self.transport.deliver(Array(message.message.utf8), from: message.envelopeFrom, to: message.recipient)
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        do {
            switch outcome {
            case .success:
                try await self.outbox.markSent(message)
                Self.sent.increment()
                self.logger.info("mail delivered", metadata: metadata)
            case .failure(.temporary(let reason)):
                let delay = self.retryDelay(afterAttempts: message.attempts)
                if message.age + delay > self.timing.retryWindowSeconds {
                    try await self.outbox.markFailed(message, error: "gave up after \(message.attempts) attempts: \(reason)")
                    Self.expired.increment()
                    self.logger.error("mail given up: temporary failures for too long", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
                } else {
                    try await self.outbox.retry(message, inSeconds: delay, error: reason)
                    Self.retried.increment()
                    self.logger.notice("mail not delivered, tried again later", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
                }
            case .failure(.permanent(let reason)):
                try await self.outbox.markFailed(message, error: reason)
                Self.rejected.increment()
                self.logger.error("mail refused for good", metadata: metadata.merging(["error": "\(reason)"]) { $1 })
            }
        } catch {
            // The outcome could not be written: the lease runs out and the message is tried again.
            self.logger.warning("mail outcome not recorded", metadata: metadata.merging(["error": "\(error)"]) { $1 })
        }
    }

    /// `firstRetry` doubling with each attempt up to `maximumRetry`, a tenth of it at random
    /// either way, so messages that failed together do not come back together.
    func retryDelay(afterAttempts attempts: Int) -> Double {
        let doubled = self.timing.firstRetrySeconds * Double(1 << min(max(attempts - 1, 0), 20))
        let delay = min(self.timing.maximumRetrySeconds, doubled)
        return delay * Double.random(in: 0.9...1.1)
    }
}
