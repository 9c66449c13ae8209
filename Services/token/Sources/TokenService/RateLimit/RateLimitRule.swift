/// `limit` requests per `periodSeconds` for one key.
public struct RateLimitRule: Sendable, Hashable {
    public var key: String
    public var limit: Int
    public var periodSeconds: Double

    public init(key: String, limit: Int, periodSeconds: Double) {
        self.key = key
        self.limit = limit
        self.periodSeconds = periodSeconds
    }
}
