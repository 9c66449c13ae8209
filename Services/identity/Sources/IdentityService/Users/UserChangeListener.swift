public import Logging
import NIOPosix
public import ServiceLifecycle

/// Follows PostgreSQL's `users_changed` notifications (sent by a trigger on `users`, see
/// ``Migration``) and drops the changed users from a ``UserCache``.
///
/// It holds one connection of its own, used on one thread of its own: waiting for a
/// notification blocks, so it never runs on an event loop or takes a thread of the query pool.
/// While it is not listening, the cache is off; when it listens again, the cache starts empty.
public struct UserChangeListener: Service {
    /// The channel the trigger notifies; a payload is the schema of the table, a space and a
    /// user id, or `*` for "every user".
    public static let channel = "users_changed"
    static let currentSchema = PreparedStatement(name: "current_schema", sql: "SELECT current_schema() AS schema")

    public let url: String
    public let cache: UserCache
    /// How long one wait lasts: the longest a shutdown waits for the listener.
    public let pollInterval: Duration
    /// Silence longer than this is checked with a round trip, so a dead peer is noticed.
    public let checkInterval: Duration
    let logger: Logger

    public init(url: String, cache: UserCache, pollInterval: Duration = .milliseconds(500), checkInterval: Duration = .seconds(30), logger: Logger) {
        self.url = url
        self.cache = cache
        self.pollInterval = pollInterval
        self.checkInterval = checkInterval
        self.logger = logger
    }

    public func run() async throws {
        let thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        await cancelWhenGracefulShutdown {
            await self.follow(on: thread)
        }
        self.cache.setFollowingChanges(false)
        try await thread.shutdownGracefully()
    }

    /// Connects, listens and applies notifications until cancelled, reconnecting after a failure.
    private func follow(on thread: NIOThreadPool) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let (connection, schema) = try await thread.runIfActive { [url] in
                    let connection = try LibPQConnection(url: url)
                    let schema = try connection.query(Self.currentSchema).first("schema") ?? "public"
                    try connection.executeScript("LISTEN \(Self.channel)")
                    return (connection, schema)
                }
                // Listening from here on: what changes now is seen, what changed before is
                // forgotten with the emptied cache.
                self.cache.setFollowingChanges(true)
                if failures > 0 { self.logger.info("following user changes again; user cache on") }
                failures = 0
                try await self.apply(connection, schema: schema, on: thread)
            } catch is CancellationError {
                break
            } catch {
                self.cache.setFollowingChanges(false)
                if failures == 0 {
                    self.logger.warning("not following user changes; user cache off until reconnected", metadata: ["error": "\(error)"])
                }
                failures += 1
                try? await Task.sleep(for: .milliseconds(min(5000, 250 * failures)))
            }
        }
    }

    private func apply(_ connection: LibPQConnection, schema: String, on thread: NIOThreadPool) async throws {
        let clock = ContinuousClock()
        var lastHeard = clock.now
        while !Task.isCancelled {
            let notifications = try await thread.runIfActive { [pollInterval] in
                try connection.notifications(waitingUpTo: pollInterval)
            }
            for notification in notifications where notification.channel == Self.channel {
                let parts = notification.payload.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else {
                    self.cache.invalidateAll()
                    continue
                }
                guard parts[0] == schema else { continue }
                if let id = Int64(parts[1]) {
                    self.cache.invalidate(id)
                } else {
                    self.cache.invalidateAll()
                }
            }
            if !notifications.isEmpty {
                lastHeard = clock.now
            } else if lastHeard.duration(to: clock.now) > self.checkInterval {
                try await thread.runIfActive { try connection.executeScript("SELECT 1") }
                lastHeard = clock.now
            }
        }
    }
}
