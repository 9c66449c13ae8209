import NIOCore
public import ServiceRuntime

/// A security event worth keeping (seed 001's `AuditEvent`): stored in `audit_events` and logged.
/// Never carries a password, a hash, a token or a key.
public struct AuditEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case loginSuccess = "login_success"
        case loginFailure = "login_failure"
        case accountLocked = "account_locked"
        case tokenRefresh = "token_refresh"
        case tokenRefreshReplayed = "token_refresh_replayed"
        case tokenReuseDetected = "token_reuse_detected"
        case logout
        case passwordChanged = "password_changed"
        case roleChanged = "role_changed"
        case tierChanged = "tier_changed"
        case apiKeyGenerated = "api_key_generated"
        case apiKeyRevoked = "api_key_revoked"
        case accountDeactivated = "account_deactivated"
        case loggedOutEverywhere = "logout_everywhere"
        case sessionEnded = "session_ended"
        case sessionEvicted = "session_evicted"
        case verificationRequested = "email_verification_requested"
        case emailVerified = "email_verified"
        case passwordResetRequested = "password_reset_requested"
        case passwordReset = "password_reset"
        /// A wrong code or link for a verification or reset.
        case accountChallengeFailed = "account_challenge_failed"
        /// A notice queued: the password or the address changed.
        case accountNoticeQueued = "account_notice_queued"
        /// The right password of an account with a second factor: a login challenge was issued.
        case mfaChallenged = "mfa_challenged"
        case mfaEnabled = "mfa_enabled"
        case mfaDisabled = "mfa_disabled"
        /// An administrator turned a user's factor off (`by_user_id` in the detail).
        case mfaResetByAdministrator = "mfa_reset_by_admin"
        case mfaRecoveryCodesReplaced = "mfa_recovery_codes_replaced"
        case mfaRecoveryCodeUsed = "mfa_recovery_code_used"
        /// A wrong, used or malformed second-factor code.
        case mfaFailure = "mfa_failure"
        /// Too many wrong codes: codes are refused for a while.
        case mfaLocked = "mfa_locked"

        /// What another process may report through `recordAudit`: the events only it sees.
        public static let reportable: Set<Kind> = [
            .tokenRefresh, .tokenRefreshReplayed, .tokenReuseDetected, .logout, .sessionEnded, .sessionEvicted,
        ]
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

    /// Writes the event as one JSON object of the batch insert.
    func writeJSON(to buffer: inout ByteBuffer) {
        buffer.writeString("{\"at\":\(self.occurredAt),\"event\":")
        buffer.writeJSONString(self.kind.rawValue)
        buffer.writeString(",\"ip\":")
        buffer.writeJSONString(self.ip)
        buffer.writeString(",\"user_agent\":")
        buffer.writeJSONString(self.userAgent)
        buffer.writeString(",\"request_id\":")
        buffer.writeJSONString(self.requestID)
        if let userID = self.userID { buffer.writeString(",\"user_id\":\(userID)") }
        if let username = self.username {
            buffer.writeString(",\"username\":")
            buffer.writeJSONString(username)
        }
        buffer.writeString(",\"detail\":{")
        for (index, (key, value)) in self.detail.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { buffer.writeString(",") }
            buffer.writeJSONString(key)
            buffer.writeString(":")
            buffer.writeJSONString(value)
        }
        buffer.writeString("}}")
    }
}
