public import NIOCore

/// Runs Swift concurrency jobs on one NIO event loop.
///
/// A task that prefers this executor (`withTaskExecutorPreference`, `addTask(executorPreference:)`)
/// runs its code on the event loop of the channel it serves and resumes there after each await:
/// a request read on that loop is handled and answered without a hand-off to the global pool
/// and back. Only non-blocking work may run this way; blocking C calls keep their own pools.
public final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = self.asUnownedTaskExecutor()
        self.eventLoop.execute {
            job.runSynchronously(on: executor)
        }
    }
}
