public import ServiceSupport

/// A security event worth keeping (seed 001's `AuditEvent`): stored in `audit_events` and logged.
/// Never carries a password, a hash, a token or a key.
public struct AuditEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case loginSuccess = "login_success"
        case loginFailure = "login_failure"
        case accountLocked = "account_locked"
        case tokenRefresh = "token_refresh"
        case tokenReuseDetected = "token_reuse_detected"
        case logout
        case passwordChanged = "password_changed"
        case roleChanged = "role_changed"
        case apiKeyGenerated = "api_key_generated"
        case apiKeyRevoked = "api_key_revoked"
        case accountDeactivated = "account_deactivated"

        /// What another process may report through `recordAudit`: the events only it sees.
        public static let reportable: Set<Kind> = [.tokenRefresh, .tokenReuseDetected, .logout]
    }

    public var kind: Kind
    public var userID: Int64?
    public var username: String?
    public var ip: String
    public var userAgent: String
    public var requestID: String
    /// Small facts (`reason`, `new_role`, `key_prefix`, …).
    public var detail: [String: String]
    /// When it happened, seconds since 1970 (the moment it was recorded, not written).
    public var occurredAt: Double

    public init(
        _ kind: Kind,
        userID: Int64? = nil,
        username: String? = nil,
        ip: String = "",
        userAgent: String = "",
        requestID: String = "",
        detail: [String: String] = [:],
        occurredAt: Double = WallClock.now()
    ) {
        self.kind = kind
        self.occurredAt = occurredAt
        self.userID = userID
        self.username = username.map { String($0.prefix(320)) }
        self.ip = String(ip.prefix(64))
        self.userAgent = String(userAgent.prefix(256))
        self.requestID = String(requestID.prefix(128))
        self.detail = detail
    }

    /// The event as one JSON object of the batch insert.
    var json: String {
        var members = [
            "\"at\":\(self.occurredAt)",
            "\"event\":\(Self.quoted(self.kind.rawValue))",
            "\"ip\":\(Self.quoted(self.ip))",
            "\"user_agent\":\(Self.quoted(self.userAgent))",
            "\"request_id\":\(Self.quoted(self.requestID))",
            "\"detail\":\(self.detailJSON)",
        ]
        if let userID = self.userID { members.append("\"user_id\":\(userID)") }
        if let username = self.username { members.append("\"username\":\(Self.quoted(username))") }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// `detail` as a JSON object.
    var detailJSON: String {
        let members = self.detail.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let digits = Array("0123456789abcdef")
                out += "\\u00" + String(digits[Int(scalar.value >> 4)]) + String(digits[Int(scalar.value & 0xF)])
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
