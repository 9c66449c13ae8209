import Logging
import ServiceLifecycle
import ServiceRuntime
import Synchronization
import Testing

@Suite("BoundedWorkQueue")
struct BoundedWorkQueueTests {
    @Test func aFullQueueDropsAndCountsInsteadOfWaiting() async throws {
        let handled = Atomic<Int>(0)
        let gate = AsyncStream.makeStream(of: Void.self)
        let queue = BoundedWorkQueue<Int>(name: "test", capacity: 3, logger: Logger(label: "test")) { batch in
            // Each batch holds the worker until the test opens the gate.
            for await _ in gate.stream { break }
            handled.add(batch.count, ordering: .relaxed)
        }
        // Nothing drains yet (the queue is not running): three fit, the rest are dropped at once.
        let accepted = (0..<10).map { queue.submit($0) }
        #expect(accepted.filter { $0 }.count == 3)
        #expect(queue.dropped == 7)

        let group = ServiceGroup(services: [queue], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            gate.continuation.yield()
            while handled.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(handled.load(ordering: .relaxed) == 3, "what was queued is done, in one batch, before the queue stops")
    }

    @Test func aFailingHandlerCountsADrop() async throws {
        struct Failure: Error {}
        let queue = BoundedWorkQueue<Int>(name: "test", capacity: 8, logger: Logger(label: "test")) { _ in throw Failure() }
        queue.submit(1)
        queue.submit(2)
        let group = ServiceGroup(services: [queue], logger: Logger(label: "test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while queue.dropped < 2 { try await Task.sleep(for: .milliseconds(5)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(queue.dropped == 2)
    }
}

@Suite("LogThrottle")
struct LogThrottleTests {
    @Test func oneLinePerIntervalWithTheCountHeldBack() {
        let throttle = LogThrottle(intervalSeconds: 10)
        #expect(throttle.admit(now: 100) == 0)
        #expect(throttle.admit(now: 101) == nil)
        #expect(throttle.admit(now: 109.9) == nil)
        #expect(throttle.admit(now: 110) == 2)
        #expect(throttle.admit(now: 111) == nil)
    }
}
