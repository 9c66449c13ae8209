public import CoreMetrics

extension CoreMetrics.Timer {
    /// Records the time since `start` (swift-metrics takes nanoseconds, not a `Duration`).
    public func recordElapsed(since start: ContinuousClock.Instant) {
        let (seconds, attoseconds) = (ContinuousClock.now - start).components
        self.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
