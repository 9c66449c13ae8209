public import Logging
public import ServiceLifecycle

/// Clears what the account's mail leaves behind, every ten minutes: expired challenges, counts
/// of sends whose hour is over, and outbox records older than `recordDays` (30). Several
/// identity instances may each do it; the deletes do not conflict.
public struct AccountMailJanitor: Service {
    let challenges: any ChallengeStore
    let outbox: any MailOutbox
    let limits: any MailSendLimits
    let interval: Duration
    let recordDays: Int
    let logger: Logger

    public init(
        challenges: any ChallengeStore,
        outbox: any MailOutbox,
        limits: any MailSendLimits,
        interval: Duration = .seconds(600),
        recordDays: Int = 30,
        logger: Logger
    ) {
        self.challenges = challenges
        self.outbox = outbox
        self.limits = limits
        self.interval = interval
        self.recordDays = recordDays
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await self.sweep()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One sweep; a failure is logged and the next sweep tries again.
    public func sweep() async {
        do {
            try await self.challenges.pruneExpired()
            try await self.limits.prune()
            try await self.outbox.prune(olderThanDays: self.recordDays)
        } catch {
            self.logger.notice("account mail records not pruned", metadata: ["error": "\(error)"])
        }
    }
}
