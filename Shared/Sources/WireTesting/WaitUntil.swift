/// A condition a test waited for that did not come true in time.
public struct ConditionTimedOut: Error, CustomStringConvertible {
    public let what: String
    public let within: Duration

    public var description: String { "\(self.what): still not true after \(self.within)" }
}

/// Polls `condition` every `interval` until it holds: a test waits for what it needs, not for a
/// fixed while, and a condition that never comes fails the test after `within` instead of
/// hanging it.
///
/// - Throws: ``ConditionTimedOut`` after `within`, or what `condition` throws.
public func waitUntil(
    _ what: String = "condition",
    within: Duration = .seconds(10),
    interval: Duration = .milliseconds(5),
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + within
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw ConditionTimedOut(what: what, within: within) }
        try await Task.sleep(for: interval)
    }
}
