import Metrics
import ServiceRuntime

/// Counts rate-limit decisions by rule and outcome (`rate_limit_decisions_total`).
///
/// The `rule` label is the key's first part (`login`, `register`, `default`, `tier`, `user`):
/// the rest of a key names an address or a user, which must not become a label.
enum RateLimitMetrics {
    private struct Key: Hashable, Sendable {
        var rule: Substring
        var allowed: Bool
    }

    private static let decisions = InstrumentCache { (key: Key) in
        Counter(label: "rate_limit_decisions_total", dimensions: [("rule", String(key.rule)), ("outcome", key.allowed ? "allowed" : "refused")])
    }

    static func record(_ decision: RateLimitDecision, key: String) {
        let rule = key.split(separator: ":", maxSplits: 1).first ?? "none"
        Self.decisions(Key(rule: rule, allowed: decision.allowed)).increment()
    }
}
