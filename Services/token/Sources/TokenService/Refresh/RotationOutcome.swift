/// What happened when a refresh token was presented.
public enum RotationOutcome: Sendable, Hashable {
    /// The token was current: it is consumed and `next` is the family's new current token,
    /// living `lifetime` seconds.
    case rotated(SessionGrant, lifetime: Int)
    /// The token was consumed moments ago, within the reuse grace: `successor` is the token that
    /// rotation issued, answered again (racing tabs, a lost answer), living `lifetime` seconds.
    case replayed(SessionGrant, successor: RefreshToken, lifetime: Int)
    /// Unknown, expired, or of a revoked family.
    case invalid
    /// Already consumed: the family is revoked now.
    case reused(userID: Int64)
}

extension RotationOutcome {
    /// The outcome's name in metrics.
    var metricsLabel: String {
        switch self {
        case .rotated: "rotated"
        case .replayed: "replayed"
        case .invalid: "invalid"
        case .reused: "reused"
        }
    }
}
