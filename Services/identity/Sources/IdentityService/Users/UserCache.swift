import Synchronization

/// Users read by id, kept in memory while nothing has changed them.
///
/// Every authenticated request reads its user (`getUser`), and almost none of them finds a
/// change: answering from memory spares PostgreSQL a query and the request four thread and
/// process wake-ups. An entry is trusted only while a ``UserChangeListener`` follows the
/// `users_changed` notifications that PostgreSQL sends when a row of `users` changes, whoever
/// changed it; this instance's own writes drop their entry at once (``CachedUserStore``).
///
/// A read from PostgreSQL may race a change: it takes a ``Ticket`` before reading, and
/// ``store(_:ticket:)`` keeps the row only if that user was not invalidated since (the last
/// ``recentLimit`` invalidations are remembered; beyond them, or after ``invalidateAll()``,
/// nothing read before is kept), so a row read before a change committed never outlives the
/// change's notification. While the listener is not connected nothing is kept or answered
/// (notifications would be missed), and every entry expires after `lifetime` as a last guard.
public final class UserCache: Sendable {
    /// Proof of the moment a read started.
    public struct Ticket: Sendable {
        fileprivate let generation: UInt64
    }

    private struct Entry {
        var record: UserRecord
        var storedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// Counts invalidations.
        var generation: UInt64 = 0
        /// The users invalidated most recently, oldest first, with the generation each made.
        var recent: [(id: Int64, generation: UInt64)] = []
        /// Reads that started before this generation are never kept.
        var floor: UInt64 = 0
        var isFollowingChanges = false

        /// Whether user `id` may have changed since `generation`.
        func changed(_ id: Int64, since generation: UInt64, limit: Int) -> Bool {
            if generation == self.generation { return false }
            if generation < self.floor || self.generation - generation > UInt64(limit) { return true }
            return self.recent.reversed().prefix { $0.generation > generation }.contains { $0.id == id }
        }
    }

    /// How many invalidations are remembered to judge a read that straddles them.
    public static let recentLimit = 1024

    /// The most users kept.
    public let capacity: Int
    /// How long an entry is trusted at most.
    public let lifetime: Duration
    /// The monotonic time; injected so expiry is testable without waiting.
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = Mutex(State())

    public init(capacity: Int, lifetime: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.capacity = max(1, capacity)
        self.lifetime = lifetime
        self.now = now
    }

    /// The kept record of user `id`, if it can be trusted.
    public func user(_ id: Int64) -> UserRecord? {
        let now = self.now()
        return self.state.withLock { state in
            guard state.isFollowingChanges, let entry = state.entries[id] else { return nil }
            guard entry.storedAt.duration(to: now) < self.lifetime else {
                state.entries[id] = nil
                return nil
            }
            return entry.record
        }
    }

    /// Taken before reading a user from PostgreSQL; `nil` while changes are not followed.
    public func ticket() -> Ticket? {
        self.state.withLock { $0.isFollowingChanges ? Ticket(generation: $0.generation) : nil }
    }

    /// Keeps `record` unless its user was invalidated since `ticket` was taken.
    public func store(_ record: UserRecord, ticket: Ticket) {
        let now = self.now()
        self.state.withLock { state in
            guard state.isFollowingChanges, !state.changed(record.id, since: ticket.generation, limit: Self.recentLimit) else { return }
            if state.entries[record.id] == nil, state.entries.count >= self.capacity, let victim = state.entries.keys.first {
                state.entries[victim] = nil
            }
            state.entries[record.id] = Entry(record: record, storedAt: now)
        }
    }

    /// User `id` changed.
    public func invalidate(_ id: Int64) {
        self.state.withLock { state in
            state.generation += 1
            state.entries[id] = nil
            state.recent.append((id, state.generation))
            // Trimmed in batches, so that an invalidation costs no shift of the whole list.
            if state.recent.count >= 2 * Self.recentLimit { state.recent.removeFirst(state.recent.count - Self.recentLimit) }
        }
    }

    /// Anything may have changed.
    public func invalidateAll() {
        self.state.withLock { state in
            state.generation += 1
            state.floor = state.generation
            state.entries.removeAll()
        }
    }

    /// Whether notifications are being received: entries are kept and answered only then.
    /// Either way the cache starts empty, since changes may have been missed in between.
    public func setFollowingChanges(_ following: Bool) {
        self.state.withLock { state in
            state.generation += 1
            state.floor = state.generation
            state.entries.removeAll()
            state.isFollowingChanges = following
        }
    }

    /// The number of users kept.
    public var count: Int { self.state.withLock { $0.entries.count } }
}
