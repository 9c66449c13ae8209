/// The operation a request asks for, carried in a request header's `code`.
///
/// A struct over `UInt16` rather than an enum so a server meets an operation it does not know
/// (a newer gateway) as a value it can answer with ``WireStatus/unknownOperation``.
public struct WireOperation: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Liveness: answered without touching any dependency.
    public static let ping = WireOperation(rawValue: 1)
    /// Readiness: the service checks its own dependencies and answers a `WireReadyReply`.
    public static let ready = WireOperation(rawValue: 2)
    /// Metrics: the process's metrics in the Prometheus text format (`WireMetricsReply`).
    public static let metrics = WireOperation(rawValue: 3)

    // Identity operations: 100...199.
    public static let register = WireOperation(rawValue: 100)
    public static let verifyCredentials = WireOperation(rawValue: 101)
    public static let getUser = WireOperation(rawValue: 102)
    public static let changePassword = WireOperation(rawValue: 103)
    public static let updateProfile = WireOperation(rawValue: 104)
    public static let deactivateAccount = WireOperation(rawValue: 105)
    public static let listUsers = WireOperation(rawValue: 106)
    public static let changeRole = WireOperation(rawValue: 107)
    public static let dashboard = WireOperation(rawValue: 108)
    public static let createAPIKey = WireOperation(rawValue: 109)
    public static let revokeAPIKeys = WireOperation(rawValue: 110)
    public static let authenticateAPIKey = WireOperation(rawValue: 111)
    public static let recordAudit = WireOperation(rawValue: 112)
    public static let setTier = WireOperation(rawValue: 113)
    public static let pendingRevocations = WireOperation(rawValue: 114)
    public static let confirmRevocation = WireOperation(rawValue: 115)
    public static let resolveLogin = WireOperation(rawValue: 116)
    public static let endAllSessions = WireOperation(rawValue: 117)
    public static let requestAccountChallenge = WireOperation(rawValue: 118)
    public static let resetPassword = WireOperation(rawValue: 119)
    public static let verifyEmail = WireOperation(rawValue: 120)
    public static let enrollTOTP = WireOperation(rawValue: 121)
    public static let confirmTOTP = WireOperation(rawValue: 122)
    public static let regenerateRecoveryCodes = WireOperation(rawValue: 123)
    public static let disableTOTP = WireOperation(rawValue: 124)
    public static let completeMFALogin = WireOperation(rawValue: 125)
    public static let resetMFA = WireOperation(rawValue: 126)

    // Token operations: 200...299.
    public static let issueTokens = WireOperation(rawValue: 200)
    public static let refreshTokens = WireOperation(rawValue: 201)
    public static let verifyAccessToken = WireOperation(rawValue: 202)
    public static let revokeSession = WireOperation(rawValue: 203)
    public static let checkRateLimit = WireOperation(rawValue: 204)
    public static let revokeUser = WireOperation(rawValue: 205)
    public static let setSessionTier = WireOperation(rawValue: 206)
    public static let listSessions = WireOperation(rawValue: 207)
    public static let endSession = WireOperation(rawValue: 208)
    public static let endOtherSessions = WireOperation(rawValue: 209)
    public static let publicKeys = WireOperation(rawValue: 210)

    static let names: [UInt16: String] = [
        1: "ping", 2: "ready", 3: "metrics",
        100: "register", 101: "verifyCredentials", 102: "getUser", 103: "changePassword", 104: "updateProfile",
        105: "deactivateAccount", 106: "listUsers", 107: "changeRole", 108: "dashboard", 109: "createAPIKey",
        110: "revokeAPIKeys", 111: "authenticateAPIKey", 112: "recordAudit", 113: "setTier",
        114: "pendingRevocations", 115: "confirmRevocation", 116: "resolveLogin", 117: "endAllSessions",
        118: "requestAccountChallenge", 119: "resetPassword", 120: "verifyEmail", 121: "enrollTOTP",
        122: "confirmTOTP", 123: "regenerateRecoveryCodes", 124: "disableTOTP", 125: "completeMFALogin",
        126: "resetMFA",
        200: "issueTokens", 201: "refreshTokens", 202: "verifyAccessToken", 203: "revokeSession", 204: "checkRateLimit",
        205: "revokeUser", 206: "setSessionTier", 207: "listSessions", 208: "endSession", 209: "endOtherSessions",
        210: "publicKeys",
    ]

    public var description: String { Self.names[self.rawValue] ?? "operation(\(self.rawValue))" }
}
