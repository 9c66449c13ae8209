/// Where a session was started from, shown in session lists.
public struct ClientDetails: Sendable, Hashable {
    public var ip: String
    public var userAgent: String

    public init(ip: String, userAgent: String) {
        self.ip = ip
        self.userAgent = userAgent
    }
}
