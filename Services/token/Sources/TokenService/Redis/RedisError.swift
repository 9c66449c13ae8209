/// A failure talking to Redis.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection, or it broke (Redis down or restarting).
    case connectionFailed(String)
    /// Redis answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
    case server(String)
    /// The reply was not of the shape the caller expected.
    case unexpectedReply(String)

    public var description: String {
        switch self {
        case .connectionFailed(let why): "redis connection error: \(why)"
        case .server(let message): "redis error: \(message)"
        case .unexpectedReply(let what): "unexpected redis reply: \(what)"
        }
    }
}
