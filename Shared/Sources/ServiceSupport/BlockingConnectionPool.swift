import Synchronization

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
/// line (bounded by the number of callers the blocking pool admits). Connections are made on
/// first use, and one that broke (the server restarted) is dropped so the next borrower connects
/// afresh: the service recovers by itself when its dependency is back.
///
/// ```swift
/// let pool = BlockingConnectionPool(size: 8, blockingPool: threads) { try LibPQConnection(url: url) }
/// let rows = try await pool.withConnection { try $0.query(statement) }
/// ```
public final class BlockingConnectionPool<Connection: BlockingConnection>: Sendable {
    private struct State {
        var idle: [Connection] = []
        var available: Int
        var waiters: [CheckedContinuation<Connection?, Never>] = []
    }

    public let size: Int
    private let blockingPool: BlockingPool
    private let connect: @Sendable () throws -> Connection
    private let state: Mutex<State>

    /// - Parameter connect: makes a new connection; runs on a pool thread.
    public init(size: Int, blockingPool: BlockingPool, connect: @escaping @Sendable () throws -> Connection) {
        self.size = max(1, size)
        self.blockingPool = blockingPool
        self.connect = connect
        self.state = Mutex(State(available: max(1, size)))
    }

    /// Runs `work` with a connection on a pool thread.
    ///
    /// - Throws: what `connect` or `work` throws, or `BlockingPoolError.overloaded` at once when
    ///   the blocking pool is full.
    public func withConnection<Result: Sendable>(
        _ work: @escaping @Sendable (Connection) throws -> Result
    ) async throws -> Result {
        let borrowed = await self.borrow()
        let connect = self.connect
        let holder = ConnectionHolder(borrowed)
        do {
            let result = try await self.blockingPool.run {
                let connection = try holder.connection ?? connect()
                holder.connection = connection
                return try work(connection)
            }
            self.giveBack(holder.connection)
            return result
        } catch {
            // A broken connection is dropped by giveBack; a statement error keeps a good one.
            self.giveBack(holder.connection)
            throw error
        }
    }

    private func borrow() async -> Connection? {
        let immediate: Connection?? = self.state.withLock { state in
            guard state.available > 0 else { return .none }
            state.available -= 1
            return .some(state.idle.popLast())
        }
        if let immediate { return immediate }
        return await withCheckedContinuation { continuation in
            let connection: Connection?? = self.state.withLock { state in
                // A slot may have come back between the two locks.
                guard state.available > 0 else {
                    state.waiters.append(continuation)
                    return .none
                }
                state.available -= 1
                return .some(state.idle.popLast())
            }
            if let connection { continuation.resume(returning: connection) }
        }
    }

    /// Returns a borrowed slot, with its connection when it is still good.
    private func giveBack(_ connection: Connection?) {
        let usable = connection.flatMap { $0.isConnected ? $0 : nil }
        let waiter: CheckedContinuation<Connection?, Never>? = self.state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
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
