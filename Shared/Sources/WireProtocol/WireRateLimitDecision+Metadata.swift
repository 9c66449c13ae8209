/// A refused rate-limit decision carried in an error frame's metadata (a `rateLimited` answer of
/// an operation that checks its own limit): the token service writes it, the gateway reads it
/// back for the 429's headers.
extension WireRateLimitDecision {
    /// The decision as error metadata.
    public var metadata: [String: String] {
        [
            "limit": String(self.limit),
            "remaining": String(self.remaining),
            "reset_seconds": String(self.resetSeconds),
            "retry_after_seconds": String(self.retryAfterSeconds),
        ]
    }

    /// The refused decision in `metadata`, or `nil` when it carries none.
    public init?(metadata: [String: String]) {
        guard let limit = metadata["limit"].flatMap(Int32.init), let remaining = metadata["remaining"].flatMap(Int32.init),
            let reset = metadata["reset_seconds"].flatMap(Double.init), let retryAfter = metadata["retry_after_seconds"].flatMap(Double.init)
        else { return nil }
        self.init()
        self.allowed = false
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = reset
        self.retryAfterSeconds = retryAfter
    }
}
