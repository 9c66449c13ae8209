/// The session data a refresh family carries from login to every rotation.
public struct SessionGrant: Sendable, Hashable {
    public var userID: Int64
    public var username: String
    public var role: String
    public var scope: String
    /// The subscription tier (seed 002); empty when none.
    public var tier: String
    /// How the user authenticated at login (RFC 8176 `amr`: `pwd`, then `otp` or `mfa` after a
    /// second factor); every access token of the session carries it.
    public var amr: [String]
    /// When the session started (seconds since 1970): its absolute lifetime counts from here, and
    /// a revocation of everything after this moment ends it. Set by the store.
    public var startedAt: Double

    public init(userID: Int64, username: String, role: String, scope: String, tier: String = "", amr: [String] = ["pwd"], startedAt: Double = 0) {
        self.userID = userID
        self.username = username
        self.role = role
        self.scope = scope
        self.tier = tier
        self.amr = amr
        self.startedAt = startedAt
    }

    /// The methods as a family stores them (space-separated); `pwd` for a family stored before
    /// they were kept, or with none.
    static func amr(stored: String) -> [String] {
        let methods = stored.split(separator: " ").map(String.init)
        return methods.isEmpty ? ["pwd"] : methods
    }

    /// This grant as stored for a session started at `time`.
    public func started(_ time: Double) -> SessionGrant {
        var grant = self
        grant.startedAt = time
        return grant
    }
}
