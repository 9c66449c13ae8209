import Logging
import ServiceLifecycle
import ServiceRuntime
import WireProtocol

/// A change to a user's sessions that must reach the token service even when it could not be
/// reached at the time.
enum SessionChange: Sendable, Hashable {
    /// End every session and access token of the user started or issued before the moment
    /// (milliseconds since 1970; password or role change, deactivation).
    case revokeAll(userID: Int64, validAfterMs: Int64)
    /// The sessions carry this tier (empty: none) from their next refresh on.
    case setTier(userID: Int64, tier: String)

    var userID: Int64 {
        switch self {
        case .revokeAll(let userID, _), .setTier(let userID, _): userID
        }
    }
}

/// Makes session changes reach the token service, so a password or role change made while Redis
/// was down still ends the old sessions when it is back, and a tier change still reaches them.
///
/// Changes that failed are retried from memory with growing delays. Revocations are also kept
/// durably by identity (the user's `tokens_valid_after` moment until the token service has
/// confirmed it): every ``sweepInterval`` (and at start) the retrier asks identity for those not
/// confirmed and applies them, so one lost with a stopped gateway is applied by the next.
struct SessionChangeRetrier: Service {
    private let queue: BoundedWorkQueue<SessionChange>
    private let identity: IdentityClient
    private let token: TokenClient
    private let logger: Logger
    let sweepInterval: Duration

    init(identity: IdentityClient, token: TokenClient, capacity: Int = 10_000, sweepInterval: Duration = .seconds(30), logger: Logger) {
        self.identity = identity
        self.token = token
        self.logger = logger
        self.sweepInterval = sweepInterval
        self.queue = BoundedWorkQueue(name: "session change retrier", capacity: capacity, logger: logger) { changes in
            for change in Self.pending(changes) {
                var delay: Duration = .milliseconds(250)
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    do {
                        try await Self.apply(change, identity: identity, token: token)
                        logger.notice("session change applied after retry", metadata: ["user_id": "\(change.userID)", "change": "\(change)"])
                        break
                    } catch {
                        try await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(10))
                    }
                }
            }
        }
    }

    /// Applies one change; a revocation is then confirmed to identity (a failed confirmation only
    /// means the next sweep applies it again, which changes nothing).
    static func apply(_ change: SessionChange, identity: IdentityClient, token: TokenClient) async throws {
        switch change {
        case .revokeAll(let userID, let validAfterMs):
            _ = try await token.revokeUser(id: userID, validAfterMs: validAfterMs, requestID: "")
            try? await identity.confirmRevocation(userID: userID, validAfterMs: validAfterMs, requestID: "")
        case .setTier(let userID, let tier):
            _ = try await token.setSessionTier(userID: userID, tier: tier, requestID: "")
        }
    }

    /// What is left to do of `changes`, in order: each change once, of a user's tier changes
    /// only the last, and of a user's revocations only the latest moment.
    static func pending(_ changes: [SessionChange]) -> [SessionChange] {
        var lastTier: [Int64: Int] = [:]
        var latestRevocation: [Int64: (index: Int, moment: Int64)] = [:]
        for (index, change) in changes.enumerated() {
            switch change {
            case .setTier(let userID, _):
                lastTier[userID] = index
            case .revokeAll(let userID, let moment):
                if moment >= latestRevocation[userID]?.moment ?? .min { latestRevocation[userID] = (index, moment) }
            }
        }
        return changes.enumerated().compactMap { index, change in
            switch change {
            case .setTier(let userID, _): lastTier[userID] == index ? change : nil
            case .revokeAll(let userID, _): latestRevocation[userID]?.index == index ? change : nil
            }
        }
    }

    func retry(_ change: SessionChange) {
        self.queue.submit(change)
    }

    /// Applies the revocations identity lists as not confirmed; how many were applied.
    @discardableResult
    func sweep() async -> Int {
        let pending: [WirePendingRevocation]
        do {
            pending = try await self.identity.pendingRevocations(requestID: "")
        } catch {
            self.logger.debug("pending revocations not read", metadata: ["error": "\(error)"])
            return 0
        }
        var applied = 0
        for revocation in pending {
            let change = SessionChange.revokeAll(userID: revocation.userID, validAfterMs: revocation.tokensValidAfterMs)
            do {
                try await Self.apply(change, identity: self.identity, token: self.token)
                applied += 1
            } catch {
                self.logger.debug("pending revocation not applied yet", metadata: ["user_id": "\(revocation.userID)", "error": "\(error)"])
            }
        }
        if applied > 0 { self.logger.notice("pending revocations applied", metadata: ["count": "\(applied)"]) }
        return applied
    }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.queue.run() }
            group.addTask {
                // Until shutdown: the queue's task ends then, and so does this one.
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    await self.sweep()
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.sweepInterval) }
                }
            }
        }
    }
}
