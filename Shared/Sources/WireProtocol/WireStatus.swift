/// The outcome of an operation, carried in a response or error header's `code`.
///
/// This is the one code set that crosses processes. It is a struct with static members, not an
/// enum, so that adding a code breaks no caller and an older gateway meeting a newer code still
/// has a value to map (to 502). Each service converts its own error enum to it in one file, and
/// the gateway maps it to HTTP in one switch.
public struct WireStatus: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ok = WireStatus(rawValue: 0)

    // Transport: 1...99.
    /// The frame could not be decoded; the connection is closed after this answer.
    public static let malformedFrame = WireStatus(rawValue: 1)
    /// The server does not know the operation; the connection stays open.
    public static let unknownOperation = WireStatus(rawValue: 2)
    /// The payload is not the message the operation expects.
    public static let malformedPayload = WireStatus(rawValue: 3)
    /// The caller's deadline passed before the work could be done.
    public static let deadlineExceeded = WireStatus(rawValue: 4)
    /// The service is at capacity and refused the work at once; retry later.
    public static let overloaded = WireStatus(rawValue: 5)
    /// A dependency of the service (PostgreSQL, Redis) is not answering.
    public static let dependencyUnavailable = WireStatus(rawValue: 6)
    /// The service is shutting down and takes no new work.
    public static let shuttingDown = WireStatus(rawValue: 7)
    /// Something failed that the caller cannot fix; details are in the service's log.
    public static let internalError = WireStatus(rawValue: 8)

    // Domain: 100 and up.
    public static let invalidArgument = WireStatus(rawValue: 100)
    public static let conflict = WireStatus(rawValue: 101)
    public static let notFound = WireStatus(rawValue: 102)
    public static let invalidCredentials = WireStatus(rawValue: 103)
    public static let invalidToken = WireStatus(rawValue: 104)
    public static let tokenReused = WireStatus(rawValue: 105)
    public static let permissionDenied = WireStatus(rawValue: 106)
    public static let accountInactive = WireStatus(rawValue: 107)
    public static let rateLimited = WireStatus(rawValue: 108)
    /// The request is well formed but the state forbids it (wrong current password, own role): HTTP 400.
    public static let failedPrecondition = WireStatus(rawValue: 109)

    static let names: [UInt16: String] = [
        0: "ok", 1: "malformedFrame", 2: "unknownOperation", 3: "malformedPayload", 4: "deadlineExceeded",
        5: "overloaded", 6: "dependencyUnavailable", 7: "shuttingDown", 8: "internalError",
        100: "invalidArgument", 101: "conflict", 102: "notFound", 103: "invalidCredentials", 104: "invalidToken",
        105: "tokenReused", 106: "permissionDenied", 107: "accountInactive", 108: "rateLimited",
        109: "failedPrecondition",
    ]

    public var description: String { Self.names[self.rawValue] ?? "status(\(self.rawValue))" }
}
