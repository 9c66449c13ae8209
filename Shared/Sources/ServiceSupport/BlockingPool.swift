public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// A bounded pool of threads for blocking C calls (Argon2, libpq).
///
/// `NIOThreadPool` runs blocking work off the event loops but queues without bound. This pool
/// owns its threads, counts the work admitted, and refuses at once with
/// ``BlockingPoolError/overloaded`` beyond `maximumPending`, so an overloaded identity answers
/// "overloaded" fast instead of letting a queue grow and every caller time out. It is a
/// `Service`: run it in the process's `ServiceGroup` and it shuts its threads down last.
///
/// ```swift
/// let pool = BlockingPool(threads: 2, maximumPending: 64)
/// let hash = try await pool.run { try hasher.hash(password) }
/// ```
public final class BlockingPool: Service, Sendable {
    /// The number of threads doing work.
    public let threads: Int
    /// The most work admitted at once, running or waiting; beyond it ``run(_:)`` refuses.
    public let maximumPending: Int

    private let pool: NIOThreadPool
    private let admitted = Atomic<Int>(0)

    public init(threads: Int, maximumPending: Int) {
        self.threads = max(1, threads)
        self.maximumPending = max(self.threads, maximumPending)
        self.pool = NIOThreadPool(numberOfThreads: self.threads)
        self.pool.start()
    }

    /// Work admitted and not finished yet.
    public var pending: Int { self.admitted.load(ordering: .relaxed) }

    /// Runs `work` on a pool thread and returns its result.
    ///
    /// - Throws: ``BlockingPoolError/overloaded`` at once when the pool is full, or what `work` throws.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        let before = self.admitted.add(1, ordering: .acquiringAndReleasing).oldValue
        guard before < self.maximumPending else {
            self.admitted.subtract(1, ordering: .relaxed)
            throw BlockingPoolError.overloaded
        }
        defer { self.admitted.subtract(1, ordering: .relaxed) }
        return try await self.pool.runIfActive(work)
    }

    public func run() async throws {
        // Stay up until the group shuts down, then stop the threads: the services that use the
        // pool are listed after it, so they have finished by then.
        try? await gracefulShutdown()
        try await self.pool.shutdownGracefully()
    }
}

/// Why a ``BlockingPool`` refused work.
public enum BlockingPoolError: Error, Sendable, Hashable {
    /// Every thread is busy and the queue is at its limit.
    case overloaded
}
