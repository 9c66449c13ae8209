/// The outcome of one rule.
public struct RateLimitDecision: Sendable, Hashable {
    public var allowed: Bool
    public var limit: Int
    public var remaining: Int
    public var resetSeconds: Double
    public var retryAfterSeconds: Double
}
