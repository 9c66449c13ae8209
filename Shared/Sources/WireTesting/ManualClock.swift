import Synchronization

/// A clock a test moves by hand.
public final class ManualClock: Sendable {
    private let seconds: Mutex<Double>

    public init(_ start: Double = 1_800_000_000) {
        self.seconds = Mutex(start)
    }

    public var now: Double { self.seconds.withLock { $0 } }
    public func advance(_ by: Double) { self.seconds.withLock { $0 += by } }
    public func set(_ time: Double) { self.seconds.withLock { $0 = time } }
}
