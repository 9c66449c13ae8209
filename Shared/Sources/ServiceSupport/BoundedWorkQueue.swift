public import Logging
public import ServiceLifecycle
import Synchronization

/// Work handed off so that a request never waits for it: a bounded queue drained by one task.
///
/// ``submit(_:)`` never blocks; when the queue is full the item is dropped and counted (and
/// logged once per power of two, so a flood of drops does not flood the log). Run the queue as a
/// service: at graceful shutdown it finishes what is queued, then returns.
///
/// ```swift
/// let audit = BoundedWorkQueue<AuditEvent>(name: "audit", capacity: 4096, logger: logger) { try await store.insert($0) }
/// audit.submit(event)
/// ```
public final class BoundedWorkQueue<Element: Sendable>: Service, Sendable {
    private let name: String
    private let logger: Logger
    private let handler: @Sendable (Element) async throws -> Void
    private let stream: AsyncStream<Element>
    private let continuation: AsyncStream<Element>.Continuation
    private let droppedCount = Atomic<Int>(0)

    /// - Parameters:
    ///   - capacity: items waiting before new ones are dropped.
    ///   - handler: does the work; an error drops the item (counted).
    public init(name: String, capacity: Int, logger: Logger, handler: @escaping @Sendable (Element) async throws -> Void) {
        self.name = name
        self.logger = logger
        self.handler = handler
        (self.stream, self.continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .bufferingOldest(max(1, capacity)))
    }

    /// Items lost since start (queue full or handler failed).
    public var dropped: Int { self.droppedCount.load(ordering: .relaxed) }

    /// Queues `item`; `false` when it was dropped.
    @discardableResult
    public func submit(_ item: Element) -> Bool {
        switch self.continuation.yield(item) {
        case .enqueued: return true
        case .dropped, .terminated:
            self.drop("queue full or closed")
            return false
        @unknown default:
            return false
        }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            for await item in self.stream {
                do {
                    try await self.handler(item)
                } catch {
                    self.drop("\(error)")
                }
            }
        } onGracefulShutdown: {
            self.continuation.finish()
        }
    }

    private func drop(_ reason: String) {
        let total = self.droppedCount.wrappingAdd(1, ordering: .relaxed).newValue
        if total & (total - 1) == 0 {
            self.logger.warning("\(self.name): items dropped", metadata: ["dropped_total": "\(total)", "reason": "\(reason)"])
        }
    }
}
