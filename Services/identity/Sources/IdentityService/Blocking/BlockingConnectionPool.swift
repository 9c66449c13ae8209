import Metrics
public import NIOCore
import ServiceRuntime
import Synchronization
import WireTransport

/// A connection of a blocking C client (libpq) that a ``BlockingConnectionPool`` lends out.
///
/// Conformers are used by one thread at a time: the pool hands a connection to one borrower and
/// takes it back, so they may be `@unchecked Sendable` classes around a C handle.
public protocol BlockingConnection: AnyObject, Sendable {
    /// Whether the connection is still up; a broken one is dropped when it comes back.
    var isConnected: Bool { get }
}

/// A bounded set of connections of a blocking C client, used only on a ``BlockingPool``.
///
/// A caller borrows a connection for one unit of work; when all are lent out, callers wait in
/// line, each at most until its request's deadline (``WorkDeadline``, else
/// ``maximumWait``): a stalled database never holds callers longer than they wait. Connections are made on
/// first use, and one that broke (the server restarted) is dropped so the next borrower connects
/// afresh: the service recovers by itself when its dependency is back.
///
/// Metrics, labelled with the pool's `name`: connections lent out (`connection_pool_in_use`),
/// the wait for one (`connection_pool_wait_seconds`), each unit of work's time
/// (`connection_pool_work_seconds`) and failures (`connection_pool_errors_total`).
///
/// ```swift
/// let pool = BlockingConnectionPool(name: "postgres", size: 8, blockingPool: threads) { try LibPQConnection(url: url) }
/// let rows = try await pool.withConnection { try $0.query(statement) }
/// ```
public final class BlockingConnectionPool<Connection: BlockingConnection>: Sendable {
    private struct State {
        var idle: [Connection] = []
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Connection?, any Error>)] = []
        var nextWaiter: UInt64 = 0
    }

    public let size: Int
    /// The longest wait for a connection outside a request (no ``WorkDeadline``).
    public let maximumWait: TimeAmount
    private let blockingPool: BlockingPool
    private let connect: @Sendable () throws -> Connection
    private let state: Mutex<State>
    private let inUse: Gauge
    /// Slots lent to callers of ``withConnection(_:)``, for the gauge (kept apart from the lock).
    private let lent = Atomic<Int>(0)
    private let waits: Metrics.Timer
    private let work: Metrics.Timer
    private let errors: Counter

    /// - Parameters:
    ///   - name: the pool's name in metrics.
    ///   - connect: makes a new connection; runs on a pool thread.
    public init(
        name: String = "connections",
        size: Int,
        blockingPool: BlockingPool,
        maximumWait: TimeAmount = .seconds(30),
        connect: @escaping @Sendable () throws -> Connection
    ) {
        self.size = max(1, size)
        self.maximumWait = maximumWait
        self.blockingPool = blockingPool
        self.connect = connect
        self.state = Mutex(State(available: max(1, size)))
        self.inUse = Gauge(label: "connection_pool_in_use", dimensions: [("pool", name)])
        self.waits = Metrics.Timer(label: "connection_pool_wait_seconds", dimensions: [("pool", name)])
        self.work = Metrics.Timer(label: "connection_pool_work_seconds", dimensions: [("pool", name)])
        self.errors = Counter(label: "connection_pool_errors_total", dimensions: [("pool", name)])
    }

    /// Runs `work` with a connection on a pool thread.
    ///
    /// - Throws: what `connect` or `work` throws, `BlockingPoolError.overloaded` at once when
    ///   the blocking pool is full, `BlockingPoolError.deadlineExceeded` when no connection came
    ///   back before the deadline.
    public func withConnection<Result: Sendable>(
        _ work: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        let waitStarted = ContinuousClock.now
        let borrowed: Connection?
        do {
            borrowed = try await self.borrow(until: WorkDeadline.current ?? .now() + self.maximumWait)
        } catch {
            self.errors.increment()
            throw error
        }
        self.waits.recordElapsed(since: waitStarted)
        self.inUse.record(self.lent.wrappingAdd(1, ordering: .relaxed).newValue)
        defer { self.inUse.record(self.lent.wrappingSubtract(1, ordering: .relaxed).newValue) }
        let connect = self.connect
        let holder = ConnectionHolder(borrowed)
        let workStarted = ContinuousClock.now
        do {
            let result = try await self.blockingPool.run {
                let connection = try holder.connection ?? connect()
                holder.connection = connection
                return try work(connection)
            }
            self.work.recordElapsed(since: workStarted)
            self.giveBack(holder.connection)
            return result
        } catch {
            self.errors.increment()
            // A broken connection is dropped by giveBack; a statement error keeps a good one.
            self.giveBack(holder.connection)
            throw error
        }
    }

    /// A slot, with an idle connection when there is one (else the borrower connects).
    private func borrow(until deadline: NIODeadline) async throws -> Connection? {
        let immediate: Connection?? = self.state.withLock { state in
            guard state.available > 0 else { return .none }
            state.available -= 1
            return .some(state.idle.popLast())
        }
        if let immediate { return immediate }
        // Wait in line, racing the deadline; whichever loses is undone (a slot handed over after
        // the deadline fired goes back to the pool).
        return try await withThrowingTaskGroup(of: Connection??.self) { group in
            let id = self.state.withLock { state in
                state.nextWaiter += 1
                return state.nextWaiter
            }
            group.addTask { .some(try await self.wait(id)) }
            group.addTask {
                try await Task.sleep(for: .nanoseconds(max(0, (deadline - .now()).nanoseconds)))
                return .none
            }
            var outcome: Result<Connection?, any Error>?
            while let result = await group.nextResult() {
                switch result {
                case .success(.some(let connection)):
                    if outcome == nil { outcome = .success(connection) } else { self.giveBack(connection) }
                case .success(.none):
                    if outcome == nil { outcome = .failure(BlockingPoolError.deadlineExceeded) }
                case .failure(let error):
                    if outcome == nil { outcome = .failure(error) }
                }
                group.cancelAll()
            }
            return try outcome?.get() ?? nil
        }
    }

    /// Waits for a slot as waiter `id`; leaves the line when cancelled.
    private func wait(_ id: UInt64) async throws -> Connection? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let connection: Connection?? = self.state.withLock { state in
                    // A slot may have come back since the first look.
                    guard state.available > 0 else {
                        state.waiters.append((id, continuation))
                        return .none
                    }
                    state.available -= 1
                    return .some(state.idle.popLast())
                }
                if let connection { continuation.resume(returning: connection) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0).continuation }
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Returns a borrowed slot, with its connection when it is still good.
    private func giveBack(_ connection: Connection?) {
        let usable = connection.flatMap { $0.isConnected ? $0 : nil }
        let waiter: CheckedContinuation<Connection?, any Error>? = self.state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst().continuation }
            if let usable { state.idle.append(usable) }
            state.available += 1
            return nil
        }
        waiter?.resume(returning: usable)
    }
}

/// Carries the borrowed or new connection out of the pool thread, so it returns to the pool even
/// when the work threw. Touched by one thread at a time: the borrower, then the pool thread.
private final class ConnectionHolder<Connection>: @unchecked Sendable {
    var connection: Connection?
    init(_ connection: Connection?) { self.connection = connection }
}
