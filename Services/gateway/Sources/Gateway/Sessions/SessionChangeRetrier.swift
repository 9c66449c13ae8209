import Logging
import ServiceLifecycle
import ServiceSupport

/// Retries "revoke every session of this user" until the token service takes it, so a password
/// or role change made while Redis was down still ends the old sessions when it is back.
struct RevocationRetrier: Service {
    private let queue: BoundedWorkQueue<Int64>

    init(token: TokenClient, capacity: Int = 10_000, logger: Logger) {
        self.queue = BoundedWorkQueue(name: "session revocation retrier", capacity: capacity, logger: logger) { userIDs in
            for userID in Set(userIDs) {
                var delay: Duration = .milliseconds(250)
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    do {
                        _ = try await token.revokeUser(id: userID, requestID: "")
                        logger.notice("sessions revoked after retry", metadata: ["user_id": "\(userID)"])
                        break
                    } catch {
                        try await Task.sleep(for: delay)
                        delay = min(delay * 2, .seconds(10))
                    }
                }
            }
        }
    }

    func retry(userID: Int64) {
        self.queue.submit(userID)
    }

    func run() async throws {
        try await self.queue.run()
    }
}
