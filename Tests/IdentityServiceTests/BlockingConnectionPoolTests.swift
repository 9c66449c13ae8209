import Dispatch
import NIOCore
import Synchronization
import IdentityService
import Testing
import WireTesting
import WireTransport

/// A connection that is always up.
private final class FakeConnection: BlockingConnection {
    let isConnected = true
}

@Suite("BlockingConnectionPool", .timeLimit(.minutes(1)))
struct BlockingConnectionPoolTests {
    /// Lends the pool's only connection to work that holds it until `release` is signalled.
    fileprivate static func lendTheOnlyConnection(
        of pool: BlockingConnectionPool<FakeConnection>
    ) async throws -> (holder: Task<Void, any Error>, release: DispatchSemaphore) {
        let release = DispatchSemaphore(value: 0)
        let lent = Atomic<Bool>(false)
        let holder = Task {
            try await pool.withConnection { _ in
                lent.store(true, ordering: .relaxed)
                release.wait()
            }
        }
        try await waitUntil("the connection is lent") { lent.load(ordering: .relaxed) }
        return (holder, release)
    }

    /// With every connection lent out to work that hangs (a stalled database), a caller waits no
    /// longer than its request's deadline, and the slot it waited for is not lost.
    @Test func waitingForAConnectionEndsAtTheRequestsDeadline() async throws {
        let threads = BlockingPool(threads: 4, maximumPending: 16)
        let made = Atomic<Int>(0)
        let pool = BlockingConnectionPool(size: 1, blockingPool: threads) { () -> FakeConnection in
            made.add(1, ordering: .relaxed)
            return FakeConnection()
        }
        let (holder, release) = try await Self.lendTheOnlyConnection(of: pool)
        // Released only long after the waiter's deadline, whatever the load.
        let releaser = Task {
            try await Task.sleep(for: .seconds(30))
            release.signal()
        }
        defer { releaser.cancel() }

        let started = ContinuousClock.now
        await #expect(throws: BlockingPoolError.deadlineExceeded) {
            try await WorkDeadline.$current.withValue(.now() + .milliseconds(200)) {
                try await pool.withConnection { _ in () }
            }
        }
        let waited = ContinuousClock.now - started
        // At the deadline, not when the connection came back (much later, or never).
        #expect(waited >= .milliseconds(150) && waited < .seconds(20), "waited \(waited)")

        release.signal()
        try await holder.value
        // The one slot is free again: the waiter that gave up took nothing with it.
        try await WorkDeadline.$current.withValue(.now() + .seconds(1)) {
            try await pool.withConnection { _ in () }
            try await pool.withConnection { _ in () }
        }
        #expect(made.load(ordering: .relaxed) == 1, "the connection is reused")
    }

    @Test func aWaiterGetsTheConnectionWhenItComesBackInTime() async throws {
        let threads = BlockingPool(threads: 4, maximumPending: 16)
        let pool = BlockingConnectionPool(size: 1, blockingPool: threads) { FakeConnection() }
        let (holder, release) = try await Self.lendTheOnlyConnection(of: pool)
        let waiter = Task {
            try await WorkDeadline.$current.withValue(.now() + .seconds(10)) { try await pool.withConnection { _ in 42 } }
        }
        // The waiter's queueing is not observable from here; a short while lets it start waiting
        // (if it has not, it takes the connection afterwards and the test holds all the same).
        try await Task.sleep(for: .milliseconds(50))
        release.signal()
        try await holder.value
        #expect(try await waiter.value == 42)
    }
}
