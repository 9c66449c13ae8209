/// What happened when a refresh token was presented.
public enum RotationOutcome: Sendable, Hashable {
    /// The token was current: it is consumed and `next` is the family's new current token,
    /// living `lifetime` seconds.
    case rotated(SessionGrant, lifetime: Int)
    /// Unknown, expired, or of a revoked family.
    case invalid
    /// Already consumed: the family is revoked now.
    case reused(userID: Int64)
}
