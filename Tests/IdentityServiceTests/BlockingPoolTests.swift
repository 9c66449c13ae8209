import Dispatch
import Synchronization
import IdentityService
import Foundation
import Testing
import WireTesting
import WireTransport

/// Work that blocks its pool thread until the test lets one piece of work finish.
private final class Turnstile: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let passed = Atomic<Int>(0)
    var finished: Int { self.passed.load(ordering: .relaxed) }
    func pass() {
        self.semaphore.wait()
        self.passed.add(1, ordering: .relaxed)
    }
    func letOneThrough() { self.semaphore.signal() }
    /// Lets every run finish: after a failed check, so that the test ends instead of hanging.
    func letAllThrough() { for _ in 0..<64 { self.semaphore.signal() } }
}

/// Every test is bounded in time: a pool that wrongly held work would otherwise hang the run.
@Suite("BlockingPool", .timeLimit(.minutes(1)))
struct BlockingPoolTests {
    /// Starts `count` runs that each finish when `turnstile` lets one through, counting in
    /// `returned` those handed back, waits until all are admitted, then runs `steps`. Whatever
    /// happens in `steps`, every run is let through at the end, so a failure cannot hang the test.
    private static func withRuns(
        _ count: Int,
        on pool: BlockingPool,
        _ steps: (Turnstile, Counter) async throws -> Void
    ) async throws -> Counter {
        let turnstile = Turnstile()
        let returned = Counter()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for _ in 0..<count {
                tasks.addTask {
                    try await pool.run { turnstile.pass() }
                    returned.increment()
                }
            }
            do {
                try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == count }
                try await steps(turnstile, returned)
            } catch {
                turnstile.letAllThrough()
                throw error
            }
            try await tasks.waitForAll()
        }
        return returned
    }

    /// Lets one run finish and checks, after a while, that it was held.
    private static func finishHeld(_ turnstile: Turnstile, _ returned: Counter, already: Int, _ comment: Comment) async throws {
        let finished = turnstile.finished + 1
        turnstile.letOneThrough()
        try await waitUntil("the pool's state", interval: .milliseconds(2)) { turnstile.finished == finished }
        // That nothing comes back cannot be polled for: give it a while to (wrongly) happen.
        try await Task.sleep(for: .milliseconds(50))
        #expect(returned.value == already, comment)
    }

    /// Lets one run finish and waits until `count` runs in all have been handed back.
    private static func finishHandedBack(_ turnstile: Turnstile, _ returned: Counter, total count: Int) async throws {
        turnstile.letOneThrough()
        try await waitUntil("the pool's state", interval: .milliseconds(2)) { returned.value == count }
    }

    @Test func workFinishedWhileOthersWaitComesBackInGroups() async throws {
        let pool = BlockingPool(threads: 1, maximumPending: 8, completionGroup: 3)
        let returned = try await Self.withRuns(6, on: pool) { turnstile, returned in
            // One runs, five wait: the first two to finish are held.
            try await Self.finishHeld(turnstile, returned, already: 0, "held: four still waiting")
            try await Self.finishHeld(turnstile, returned, already: 0, "held: three still waiting")
            // The third fills the group: all three come back.
            try await Self.finishHandedBack(turnstile, returned, total: 3)
            // Two runs left, one waiting: too few to wait for, so each comes back at once.
            for total in 4...6 { try await Self.finishHandedBack(turnstile, returned, total: total) }
        }
        #expect(returned.value == 6)
        #expect(pool.pending == 0)
    }

    @Test func aShortQueueMakesASmallerGroup() async throws {
        let pool = BlockingPool(threads: 1, maximumPending: 8, completionGroup: 8)
        _ = try await Self.withRuns(4, on: pool) { turnstile, returned in
            // Three waiting: a group of eight would hold the first finished run while far fewer
            // than eight can follow; it is held for as many as are waiting behind it.
            try await Self.finishHeld(turnstile, returned, already: 0, "held: two still waiting")
            try await Self.finishHandedBack(turnstile, returned, total: 2)
            for total in 3...4 { try await Self.finishHandedBack(turnstile, returned, total: total) }
        }
        #expect(pool.pending == 0)
    }

    @Test func withNothingWaitingWorkComesBackAtOnce() async throws {
        let pool = BlockingPool(threads: 2, maximumPending: 8, completionGroup: 4)
        #expect(try await pool.run { 42 } == 42)
        // Two at once on two threads: neither waits for a thread, so neither is held.
        async let first = pool.run { 1 }
        async let second = pool.run { 2 }
        #expect(try await first + second == 3)
    }

    @Test func failuresAreHandedBackAndCounted() async throws {
        struct Failure: Error {}
        let pool = BlockingPool(threads: 1, maximumPending: 8, completionGroup: 2)
        await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<6 {
                tasks.addTask { try await pool.run { if index.isMultiple(of: 2) { throw Failure() } } }
            }
            var failures = 0
            while let result = await tasks.nextResult() {
                if case .failure(let error) = result, error is Failure { failures += 1 }
            }
            #expect(failures == 3)
        }
        #expect(pool.pending == 0)
    }

    @Test func refusesBeyondItsLimitAtOnce() async throws {
        let pool = BlockingPool(threads: 1, maximumPending: 1)
        let turnstile = Turnstile()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await pool.run { turnstile.pass() } }
            try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == 1 }
            await #expect(throws: BlockingPoolError.overloaded) { try await pool.run {} }
            #expect(throws: BlockingPoolError.overloaded) { try pool.checkRoom() }
            turnstile.letOneThrough()
            try await tasks.waitForAll()
        }
        #expect(try await pool.run { "free again" } == "free again")
        try pool.checkRoom()
    }

    @Test func refusesAWaitLongerThanItsBoundPredictedFromRecentRuns() async throws {
        let pool = BlockingPool(threads: 1, maximumPending: 100, maximumWait: .milliseconds(50))
        try await pool.run { usleep(100_000) }  // runs take about 100 ms here
        let turnstile = Turnstile()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await pool.run { turnstile.pass() } }
            try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == 1 }
            // One run on the only thread and none waiting: no queue yet, admitted however slow.
            try pool.checkRoom()
            tasks.addTask { try await pool.run { turnstile.pass() } }
            try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == 2 }
            // Two runs ahead on the only thread: about 200 ms to wait, over the 50 ms bound.
            #expect(throws: BlockingPoolError.overloaded) { try pool.checkRoom() }
            await #expect(throws: BlockingPoolError.overloaded) { try await pool.run {} }
            turnstile.letOneThrough()
            turnstile.letOneThrough()
            try await tasks.waitForAll()
        }
        try pool.checkRoom()  // a free thread: no wait
        let unbounded = BlockingPool(threads: 1, maximumPending: 3)
        try await unbounded.run { usleep(100_000) }
        let second = Turnstile()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await unbounded.run { second.pass() } }
            try await waitUntil("the pool's state", interval: .milliseconds(2)) { unbounded.pending == 1 }
            try unbounded.checkRoom()  // without a bound only the count refuses
            second.letOneThrough()
            try await tasks.waitForAll()
        }
    }

    @Test func aCancelledCallerSkipsWorkNotStartedYet() async throws {
        let pool = BlockingPool(threads: 1, maximumPending: 4)
        let turnstile = Turnstile()
        let ran = Counter()
        let busy = Task { try await pool.run { turnstile.pass() } }
        try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == 1 }
        let queued = Task { try await pool.run { ran.increment() } }
        try await waitUntil("the pool's state", interval: .milliseconds(2)) { pool.pending == 2 }
        queued.cancel()
        turnstile.letOneThrough()
        try await busy.value
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(ran.value == 0)
        #expect(pool.pending == 0)
    }
}
