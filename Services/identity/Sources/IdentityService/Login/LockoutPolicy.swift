/// When repeated failed logins lock an account, and for how long (seed 001: 5 failures, 30 minutes).
///
/// Pure: every decision takes `now` (seconds since 1970), so tests need no clock.
public struct LockoutPolicy: Sendable, Hashable {
    public var maximumAttempts: Int
    public var duration: Double

    public init(maximumAttempts: Int = 5, durationSeconds: Double = 30 * 60) {
        self.maximumAttempts = maximumAttempts
        self.duration = durationSeconds
    }

    /// Whether an account locked until `lockedUntil` is still locked at `now`.
    public func isLocked(until lockedUntil: Double?, now: Double) -> Bool {
        guard let lockedUntil else { return false }
        return now < lockedUntil
    }

    /// The end of a lock that starts at `now`.
    public func lockEnd(from now: Double) -> Double { now + self.duration }
}
