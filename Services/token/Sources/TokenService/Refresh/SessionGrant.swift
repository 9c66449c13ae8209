/// The session data a refresh family carries from login to every rotation.
public struct SessionGrant: Sendable, Hashable {
    public var userID: Int64
    public var username: String
    public var role: String
    public var scope: String
    /// The subscription tier (seed 002); empty when none.
    public var tier: String
    /// When the session started (seconds since 1970): its absolute lifetime counts from here, and
    /// a revocation of everything after this moment ends it. Set by the store.
    public var startedAt: Double

    public init(userID: Int64, username: String, role: String, scope: String, tier: String = "", startedAt: Double = 0) {
        self.userID = userID
        self.username = username
        self.role = role
        self.scope = scope
        self.tier = tier
        self.startedAt = startedAt
    }

    /// This grant as stored for a session started at `time`.
    public func started(_ time: Double) -> SessionGrant {
        var grant = self
        grant.startedAt = time
        return grant
    }
}
