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

    // Identity operations: 100...199.
    public static let register = WireOperation(rawValue: 100)
    public static let verifyCredentials = WireOperation(rawValue: 101)
    public static let getUser = WireOperation(rawValue: 102)

    // Token operations: 200...299.
    public static let issueTokens = WireOperation(rawValue: 200)
    public static let refreshTokens = WireOperation(rawValue: 201)
    public static let verifyAccessToken = WireOperation(rawValue: 202)
    public static let revokeSession = WireOperation(rawValue: 203)
    public static let checkRateLimit = WireOperation(rawValue: 204)

    static let names: [UInt16: String] = [
        1: "ping", 2: "ready",
        100: "register", 101: "verifyCredentials", 102: "getUser",
        200: "issueTokens", 201: "refreshTokens", 202: "verifyAccessToken", 203: "revokeSession", 204: "checkRateLimit",
    ]

    public var description: String { Self.names[self.rawValue] ?? "operation(\(self.rawValue))" }
}
