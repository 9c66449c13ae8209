import Synchronization

/// Paces the answers to failed logins so that their timing says nothing about why they failed.
///
/// An unknown user, a wrong password (which also writes the failure count), a locked or an
/// inactive account, and an account whose imported hash has heavier parameters each take their
/// own time. Every failure is answered no sooner than the slowest of the recent failures took
/// (`window` of them, at most `cap`): the answers line up at that time, whatever the cause.
/// Successful logins are not paced. Waiting costs a suspended task, not a thread.
///
/// ```swift
/// let wait = pacing.delay(after: ContinuousClock.now - started)
/// try? await Task.sleep(for: wait)
/// ```
public final class FailurePacing: Sendable {
    private struct State {
        var recent: [Duration] = []
        var next = 0
    }

    public let window: Int
    public let cap: Duration
    private let state = Mutex(State())

    public init(window: Int = 64, cap: Duration = .seconds(2)) {
        self.window = max(1, window)
        self.cap = cap
    }

    /// Records a failure that took `natural` and says how much longer to wait before answering it.
    public func delay(after natural: Duration) -> Duration {
        let floor = self.state.withLock { state in
            if state.recent.count < self.window {
                state.recent.append(natural)
            } else {
                state.recent[state.next] = natural
                state.next = (state.next + 1) % self.window
            }
            return state.recent.max() ?? natural
        }
        return max(.zero, min(floor, self.cap) - natural)
    }
}
