/// A failure reported by libpq or the server, with the SQLSTATE when the server sent one.
///
/// The SQLSTATE lets callers react to a class of error (a unique violation becomes "conflict")
/// without matching message text. The message is for the log, never for a client.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No connection could be made, or it broke: the server is down or unreachable.
        case connectionFailed
        /// The server refused the statement.
        case statementFailed
    }

    public var kind: Kind
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    /// The constraint a violation names (`users_email_key`), when the server sent one.
    public var constraint: String?
    public var message: String

    public init(kind: Kind, sqlState: String? = nil, constraint: String? = nil, message: String) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.message = message
    }

    /// `23505`: a unique constraint was violated.
    public var isUniqueViolation: Bool { self.sqlState == "23505" }

    public var description: String {
        "postgres \(self.kind == .connectionFailed ? "connection" : "statement") error\(self.sqlState.map { " [\($0)]" } ?? ""): \(self.message)"
    }
}
