public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// Work handed off so that a request never waits for it: a bounded buffer drained in batches by
/// one task.
///
/// ``submit(_:)`` never blocks; when the buffer is full the item is dropped and counted (and
/// logged once per power of two, so a flood of drops does not flood the log). The worker takes
/// whatever has gathered, up to `maximumBatch` items, so a burst costs one write, not one per item.
/// Run the queue as a service: at graceful shutdown it finishes what is queued, then returns.
///
/// ```swift
/// let audit = BoundedWorkQueue<AuditEvent>(name: "audit", capacity: 4096, logger: logger) { try await store.insert($0) }
/// audit.submit(event)
/// ```
public final class BoundedWorkQueue<Element: Sendable>: Service, Sendable {
    private let name: String
    private let capacity: Int
    private let maximumBatch: Int
    private let gatherDelay: Duration
    private let logger: Logger
    private let handler: @Sendable ([Element]) async throws -> Void
    private let buffer = Mutex<(items: [Element], closed: Bool)>(([], false))
    /// Wakes the worker; one pending signal is enough however many items arrived.
    private let wakeUps: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation
    private let droppedCount = Atomic<Int>(0)
    /// `work_queue_dropped_total{queue}`: what ``dropped`` counts, for metrics.
    private let droppedCounter: Counter

    /// - Parameters:
    ///   - capacity: items waiting before new ones are dropped.
    ///   - maximumBatch: the most items handed to `handler` at once.
    ///   - gatherDelay: how long the worker lets items gather after the first one arrives, so
    ///     that under load a batch holds many (zero: work starts at once).
    ///   - handler: does the work for a batch; an error drops the batch (counted).
    public init(
        name: String,
        capacity: Int,
        maximumBatch: Int = 128,
        gatherDelay: Duration = .zero,
        logger: Logger,
        handler: @escaping @Sendable ([Element]) async throws -> Void
    ) {
        self.name = name
        self.capacity = max(1, capacity)
        self.maximumBatch = max(1, maximumBatch)
        self.gatherDelay = gatherDelay
        self.logger = logger
        self.handler = handler
        self.droppedCounter = Counter(label: "work_queue_dropped_total", dimensions: [("queue", name)])
        (self.wakeUps, self.wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Items lost since start (buffer full, queue stopped, or handler failed).
    public var dropped: Int { self.droppedCount.load(ordering: .relaxed) }

    /// Queues `item`; `false` when it was dropped.
    @discardableResult
    public func submit(_ item: Element) -> Bool {
        let accepted = self.buffer.withLock { buffer in
            guard !buffer.closed, buffer.items.count < self.capacity else { return false }
            buffer.items.append(item)
            return true
        }
        guard accepted else {
            self.drop(1, "queue full or stopped")
            return false
        }
        self.wakeUp.yield()
        return true
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in self.wakeUps {
                if self.gatherDelay > .zero { try? await Task.sleep(for: self.gatherDelay) }
                await self.drain()
            }
            // Stopped: what was queued before the stop is still done.
            await self.drain()
        } onGracefulShutdown: {
            self.buffer.withLock { $0.closed = true }
            self.wakeUp.finish()
        }
    }

    private func drain() async {
        while true {
            let batch = self.buffer.withLock { buffer -> [Element] in
                let count = min(buffer.items.count, self.maximumBatch)
                let batch = Array(buffer.items.prefix(count))
                buffer.items.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                try await self.handler(batch)
            } catch {
                self.drop(batch.count, "\(error)")
            }
        }
    }

    private func drop(_ count: Int, _ reason: String) {
        let before = self.droppedCount.wrappingAdd(count, ordering: .relaxed).oldValue
        self.droppedCounter.increment(by: count)
        let total = before + count
        // A line each time the total passes a power of two.
        if before == 0 || (before.leadingZeroBitCount != total.leadingZeroBitCount) {
            self.logger.warning("\(self.name): items dropped", metadata: ["dropped_total": "\(total)", "reason": "\(reason)"])
        }
    }
}
