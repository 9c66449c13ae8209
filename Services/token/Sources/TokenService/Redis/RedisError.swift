/// A failure talking to Redis.
public enum RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No connection, or it broke or stopped answering (Redis down or restarting).
    case connectionFailed(String)
    /// Redis answered with an error reply (`-ERR …`, `-NOSCRIPT …`).
    case server(String)
    /// The reply was not of the shape the caller expected.
    case unexpectedReply(String)
    /// Too many commands already wait for replies on this connection.
    case overloaded

    public var description: String {
        switch self {
        case .connectionFailed(let why): "redis connection error: \(why)"
        case .server(let message): "redis error: \(message)"
        case .unexpectedReply(let what): "unexpected redis reply: \(what)"
        case .overloaded: "too many redis commands waiting"
        }
    }
}
