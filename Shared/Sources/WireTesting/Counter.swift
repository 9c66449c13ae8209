import Synchronization

/// A count that concurrent tasks add to, read once they are done.
public final class Counter: Sendable {
    private let count = Atomic<Int>(0)

    public init() {}

    public func increment() { self.count.add(1, ordering: .relaxed) }

    public var value: Int { self.count.load(ordering: .relaxed) }
}
