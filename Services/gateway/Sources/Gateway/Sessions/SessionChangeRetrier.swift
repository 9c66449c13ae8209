import Logging
import ServiceLifecycle
import ServiceSupport

/// A change to a user's sessions that must reach the token service even when it could not be
/// reached at the time.
enum SessionChange: Sendable, Hashable {
    /// End every session and access token of the user (password or role change, deactivation).
    case revokeAll(userID: Int64)
    /// The sessions carry this tier (empty: none) from their next refresh on.
    case setTier(userID: Int64, tier: String)

    var userID: Int64 {
        switch self {
        case .revokeAll(let userID), .setTier(let userID, _): userID
        }
    }
}

/// Retries session changes until the token service takes them, so a password or role change
/// made while Redis was down still ends the old sessions when it is back, and a tier change
/// still reaches them.
struct SessionChangeRetrier: Service {
    private let queue: BoundedWorkQueue<SessionChange>

    init(token: TokenClient, capacity: Int = 10_000, logger: Logger) {
        self.queue = BoundedWorkQueue(name: "session change retrier", capacity: capacity, logger: logger) { changes in
            for change in Self.pending(changes) {
                var delay: Duration = .milliseconds(250)
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    do {
                        switch change {
                        case .revokeAll(let userID): _ = try await token.revokeUser(id: userID, requestID: "")
                        case .setTier(let userID, let tier): _ = try await token.setSessionTier(userID: userID, tier: tier, requestID: "")
                        }
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

    /// What is left to do of `changes`, in order: each change once, and of a user's tier
    /// changes only the last.
    static func pending(_ changes: [SessionChange]) -> [SessionChange] {
        var lastTier: [Int64: Int] = [:]
        for (index, change) in changes.enumerated() {
            if case .setTier(let userID, _) = change { lastTier[userID] = index }
        }
        var seen: Set<SessionChange> = []
        return changes.enumerated().compactMap { index, change in
            if case .setTier(let userID, _) = change, lastTier[userID] != index { return nil }
            return seen.insert(change).inserted ? change : nil
        }
    }

    func retry(_ change: SessionChange) {
        self.queue.submit(change)
    }

    func run() async throws {
        try await self.queue.run()
    }
}
