/// A live session (refresh family) as its user or an administrator sees it.
public struct SessionRecord: Sendable, Hashable {
    /// The family id: what `DELETE /api/v1/sessions/{id}` names.
    public var id: String
    /// Seconds since 1970.
    public var createdAt: Double
    public var lastUsedAt: Double
    public var userAgent: String
    public var ip: String
    /// Seconds until the session ends unless it is refreshed.
    public var expiresIn: Int

    public init(id: String, createdAt: Double, lastUsedAt: Double, userAgent: String, ip: String, expiresIn: Int) {
        self.id = id
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.userAgent = userAgent
        self.ip = ip
        self.expiresIn = expiresIn
    }
}
