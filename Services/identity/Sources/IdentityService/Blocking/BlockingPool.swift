import Metrics
import NIOPosix
public import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// A bounded pool of threads for blocking C calls (Argon2, libpq).
///
/// `NIOThreadPool` runs blocking work off the event loops but queues without bound. This pool
/// owns its threads, counts the work admitted, and refuses at once with
/// ``BlockingPoolError/overloaded`` beyond `maximumPending`, so an overloaded identity answers
/// "overloaded" fast instead of letting a queue grow and every caller time out. It is a
/// `Service`: run it in the process's `ServiceGroup` and it shuts its threads down last.
///
/// With a `completionGroup` above 1, work that finishes while more is waiting in the queue is
/// handed back in groups of up to that many: see ``init(name:threads:maximumPending:completionGroup:)``.
///
/// Metrics, labelled with the pool's `name`: work admitted (`blocking_pool_pending`), the wait
/// for a thread (`blocking_pool_wait_seconds`) and refusals (`blocking_pool_rejections_total`).
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
    /// The most finished runs handed back together while the queue is backed up (1: each at once).
    public let completionGroup: Int
    /// The longest a new run may be expected to wait for a thread; beyond it ``run(_:)``
    /// refuses even below `maximumPending`. `nil`: no bound but the count.
    public let maximumWait: Duration?

    private struct State {
        /// Runs admitted and not finished yet (a held run has finished).
        var admitted = 0
        /// Finished runs held back, in the order they finished.
        var held: [@Sendable () -> Void] = []
        /// How long a run takes, a moving average of the recent ones (zero before the first).
        var meanRun = Duration.zero
    }

    private let pool: NIOThreadPool
    private let state = Mutex(State())
    private let pendingGauge: Gauge
    private let waits: Metrics.Timer
    private let rejections: Counter

    /// - Parameters:
    ///   - name: the pool's name in metrics ("password_hashing", "postgres").
    ///   - threads: threads doing work.
    ///   - maximumPending: runs admitted at once, running or waiting.
    ///   - maximumWait: the longest wait for a thread a new run is admitted to, predicted from
    ///     the runs ahead of it and how long recent runs took. Why: a count alone admits a wait
    ///     that grows as the machine slows (or as other processes take its cores); a bound in
    ///     time keeps the answer to every admitted caller prompt and refuses the rest at once.
    ///   - completionGroup: the most finished runs handed back together. A run that finishes
    ///     while others wait in the queue is held until as many more have finished as were
    ///     waiting behind it, up to this group size, then the whole group is handed back; with
    ///     none waiting it goes back at once. Why: a hash leaves the CPU's caches cold for
    ///     everything else, so each process a login passes through next (identity's loop, the
    ///     gateway, the token service, Redis) pays for cache misses every time it wakes; in
    ///     groups it wakes once per group and finds its caches warm for the rest. Only a
    ///     saturated pool holds work, whose callers have already waited in the queue, and a
    ///     short queue makes a small group, so a lightly loaded service adds no delay.
    public init(name: String = "blocking", threads: Int, maximumPending: Int, completionGroup: Int = 1, maximumWait: Duration? = nil) {
        self.threads = max(1, threads)
        self.maximumPending = max(self.threads, maximumPending)
        self.completionGroup = max(1, completionGroup)
        self.maximumWait = maximumWait
        self.pool = NIOThreadPool(numberOfThreads: self.threads)
        self.pendingGauge = Gauge(label: "blocking_pool_pending", dimensions: [("pool", name)])
        self.waits = Metrics.Timer(label: "blocking_pool_wait_seconds", dimensions: [("pool", name)])
        self.rejections = Counter(label: "blocking_pool_rejections_total", dimensions: [("pool", name)])
        self.pool.start()
    }

    /// Work admitted and not finished yet.
    public var pending: Int { self.state.withLock { $0.admitted } }

    /// Throws ``BlockingPoolError/overloaded`` (counted as a refusal) when a run now would be
    /// refused, so that a caller refuses before the work that leads up to its run (a login's
    /// database read before its hash), not after.
    public func checkRoom() throws(BlockingPoolError) {
        guard self.state.withLock({ self.admits($0) }) else {
            self.rejections.increment()
            throw .overloaded
        }
    }

    /// Runs `work` on a pool thread and returns its result.
    ///
    /// When the calling task is cancelled before a thread takes `work`, `work` does not run and
    /// this throws `CancellationError`.
    ///
    /// - Throws: ``BlockingPoolError/overloaded`` at once when the pool is full, or what `work` throws.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        let admitted: Int? = self.state.withLock { state in
            guard self.admits(state) else { return nil }
            state.admitted += 1
            return state.admitted
        }
        guard let admitted else {
            self.rejections.increment()
            throw BlockingPoolError.overloaded
        }
        self.pendingGauge.record(admitted)
        let submitted = ContinuousClock.now
        let waits = self.waits
        let cancelled = CancellationFlag()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
                self.pool.submit { itemState in
                    let result: Swift.Result<Result, any Error>
                    var ran: Duration?
                    switch itemState {
                    case .active where cancelled.isSet:
                        result = .failure(CancellationError())
                    case .active:
                        waits.recordElapsed(since: submitted)
                        let started = ContinuousClock.now
                        result = Swift.Result(catching: work)
                        ran = ContinuousClock.now - started
                    case .cancelled:
                        result = .failure(NIOThreadPoolError.ThreadPoolInactive())
                    }
                    self.finish(ran: ran) { continuation.resume(with: result) }
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Hands a finished run back, or holds it while the queue is backed up and the group is not full.
    ///
    /// The count and the decision change under one lock: a run is held only when at least
    /// `threads + 2` other runs are admitted, and each of those passes through here later, so
    /// one of them always hands the group back.
    private func finish(ran: Duration?, _ handBack: @escaping @Sendable () -> Void) {
        let (group, admitted): ([@Sendable () -> Void], Int) = self.state.withLock { state in
            if let ran { state.meanRun = state.meanRun == .zero ? ran : state.meanRun * 0.9 + ran * 0.1 }
            state.admitted -= 1
            let admitted = state.admitted
            let waiting = state.admitted - self.threads
            if state.held.count + 1 < min(self.completionGroup, waiting) {
                state.held.append(handBack)
                return ([], admitted)
            }
            defer { state.held.removeAll(keepingCapacity: true) }
            return (state.held + [handBack], admitted)
        }
        self.pendingGauge.record(admitted)
        for handBack in group { handBack() }
    }

    /// Whether a new run fits: under the count, and, with a wait bound, expected to get a thread
    /// in time (the runs waiting ahead of it, shared by the threads, times a run's mean time).
    /// The bound applies to a real queue only: while fewer runs wait than there are threads, a
    /// new one waits for at most about one run and is admitted however slow runs are (a slow
    /// machine serving a few callers is slow, not overloaded).
    private func admits(_ state: State) -> Bool {
        guard state.admitted < self.maximumPending else { return false }
        guard let maximumWait = self.maximumWait, state.admitted >= 2 * self.threads else { return true }
        let ahead = Double(max(0, state.admitted + 1 - self.threads)) / Double(self.threads)
        return state.meanRun * ahead <= maximumWait
    }

    public func run() async throws {
        // Stay up until the group shuts down, then stop the threads: the services that use the
        // pool are listed after it, so they have finished by then.
        try? await gracefulShutdown()
        try await self.pool.shutdownGracefully()
    }
}

/// Set when the task waiting for a run is cancelled; read by the pool thread before it starts the work.
private final class CancellationFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { self.value.load(ordering: .relaxed) }
    func set() { self.value.store(true, ordering: .relaxed) }
}

/// Why a ``BlockingPool`` refused work.
public enum BlockingPoolError: Error, Sendable, Hashable {
    /// Every thread is busy and the queue is at its limit.
    case overloaded
    /// The work waited for a connection until its caller's deadline (``WorkDeadline``) passed.
    case deadlineExceeded
}
