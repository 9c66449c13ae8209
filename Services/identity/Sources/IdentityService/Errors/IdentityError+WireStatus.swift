public import WireProtocol
public import WireTransport

extension IdentityError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .invalidField: .invalidArgument
        case .usernameTaken, .emailTaken, .emailInUse, .tooManyAPIKeys: .conflict
        case .wrongCurrentPassword, .passwordUnchanged, .ownRole: .failedPrecondition
        case .superAdminNotAssignable, .superAdminImmutable: .permissionDenied
        case .invalidAPIKey: .invalidCredentials
        case .noAPIKey, .emailNotConfigured: .notFound
        case .badResetToken, .badVerifyToken, .alreadyVerified: .failedPrecondition
        case .notVerified, .mfaRequired: .permissionDenied
        case .mfaNotConfigured: .notFound
        case .mfaAlreadyEnabled: .conflict
        case .mfaNotEnabled, .badMFACode, .badMFAToken, .ownFactor: .failedPrecondition
        case .notPermitted: .permissionDenied
        case .mfaLocked: .rateLimited
        case .invalidCredentials: .invalidCredentials
        case .userNotFound: .notFound
        case .accountInactive: .accountInactive
        case .overloaded: .overloaded
        case .databaseUnavailable: .dependencyUnavailable
        }
    }

    /// Client-facing wording; the seed's where it has one.
    public var wireMessage: String {
        switch self {
        case .invalidField(let field, let reason): "\(field): \(reason)"
        case .usernameTaken: "Username already registered"
        case .emailTaken: "Email already registered"
        case .emailInUse: "Email already in use"
        case .wrongCurrentPassword: "Current password is incorrect"
        case .passwordUnchanged: "New password must differ from the current password"
        case .ownRole: "Cannot change your own role"
        case .superAdminNotAssignable: "SUPER_ADMIN role can only be assigned via database"
        case .superAdminImmutable: "Cannot modify a SUPER_ADMIN user"
        case .invalidAPIKey: "Invalid API key"
        case .noAPIKey: "No API key to revoke"
        case .tooManyAPIKeys(let limit): "At most \(limit) API keys per user; revoke one first"
        case .invalidCredentials: "Incorrect username or password"
        case .emailNotConfigured: "Email is not set up on this server"
        // fastapi-users' codes, which its clients compare against.
        case .badResetToken: "RESET_PASSWORD_BAD_TOKEN"
        case .badVerifyToken: "VERIFY_USER_BAD_TOKEN"
        case .alreadyVerified: "VERIFY_USER_ALREADY_VERIFIED"
        case .notVerified: "LOGIN_USER_NOT_VERIFIED"
        case .mfaRequired: "mfa_required"
        case .mfaNotConfigured: "Two-factor sign-in is not set up on this server"
        case .mfaAlreadyEnabled: "MFA_ALREADY_ENABLED"
        case .ownFactor: "Turn your own second factor off with DELETE /api/v1/auth/mfa/totp"
        case .notPermitted: "Not allowed for a user of this role"
        case .mfaNotEnabled: "MFA_NOT_ENABLED"
        case .badMFACode: "MFA_BAD_CODE"
        case .badMFAToken: "MFA_BAD_TOKEN"
        case .mfaLocked: "MFA_LOCKED"
        case .userNotFound: "User not found"
        case .accountInactive: "Inactive user"
        case .overloaded: "Service overloaded, retry later"
        case .databaseUnavailable: "Database unavailable"
        }
    }

    public var wireMetadata: [String: String] {
        switch self {
        case .invalidField(let field, _): ["field": field]
        case .mfaRequired(let challenge?): ["mfa_token": challenge.value]
        case .mfaLocked(let seconds): ["retry_after": String(seconds)]
        default: [:]
        }
    }
}
