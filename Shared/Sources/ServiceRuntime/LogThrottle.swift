import Synchronization

/// Lets one log line through per interval and counts the ones held back, so a condition that
/// hits every request (a dependency down) is reported without flooding the log.
public final class LogThrottle: Sendable {
    private let interval: Double
    private let state = Mutex<(last: Double, skipped: Int)>((-.infinity, 0))

    public init(intervalSeconds: Double) {
        self.interval = intervalSeconds
    }

    /// `nil` when this occurrence should not be logged; otherwise how many were held back
    /// since the last one that was.
    public func admit(now: Double = WallClock.now()) -> Int? {
        self.state.withLock { state in
            guard now - state.last >= self.interval else {
                state.skipped += 1
                return nil
            }
            let skipped = state.skipped
            state = (now, 0)
            return skipped
        }
    }
}
