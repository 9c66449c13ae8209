/// What identity operations can refuse, each with only the data a caller needs.
public enum IdentityError: Error, Sendable, Hashable {
    /// A field failed validation: which field and why, in words for the client.
    case invalidField(field: String, reason: String)
    case usernameTaken
    case emailTaken
    /// Another account has the email a profile update asked for.
    case emailInUse
    /// The current password given to change it is wrong.
    case wrongCurrentPassword
    /// The new password is the current one.
    case passwordUnchanged
    /// An admin tried to change their own role.
    case ownRole
    /// `super_admin` is granted only from the command line or the database.
    case superAdminNotAssignable
    /// A super admin's role cannot be changed through the API.
    case superAdminImmutable
    /// The API key is unknown, revoked, expired or malformed.
    case invalidAPIKey
    /// The user has no (such) API key to revoke.
    case noAPIKey
    /// The user has as many live API keys as allowed.
    case tooManyAPIKeys(limit: Int)
    /// Wrong username or password, unknown user, inactive, deleted or locked account: one
    /// answer for all so that a caller learns nothing about which.
    case invalidCredentials
    case userNotFound
    /// The account exists but may not be used (inactive or deleted).
    case accountInactive
    /// No mail is set up (`MAIL_URL`): the email routes do not exist.
    case emailNotConfigured
    /// A reset link or code that is wrong, used, expired, or for an address no longer the user's.
    case badResetToken
    /// A verification link or code that is wrong, used, expired, or for an address no longer the user's.
    case badVerifyToken
    /// The address is verified already.
    case alreadyVerified
    /// The right password, but `EMAIL_VERIFICATION=required` and the address is not verified.
    case notVerified
    /// The right password of an account with a confirmed second factor: the login goes on at
    /// `mfa/verify` with the challenge's token. With no token: a change the factor guards was asked
    /// for without a code.
    case mfaRequired(challenge: SecretText?)
    /// No `MFA_ENCRYPTION_KEY`: the second factor's routes do not exist.
    case mfaNotConfigured
    /// The account has a confirmed factor already.
    case mfaAlreadyEnabled
    /// The account has no confirmed factor (or, to confirm, no pending one).
    case mfaNotEnabled
    /// A wrong, used or malformed TOTP or recovery code.
    case badMFACode
    /// A login challenge that is unknown, used, expired or out of attempts.
    case badMFAToken
    /// An administrator asked to reset their own factor (they turn it off themselves, with the
    /// password and a code).
    case ownFactor
    /// The caller may not do this to that user (an administrator over a peer or a higher role).
    case notPermitted
    /// Too many wrong codes lately: codes are refused for a while.
    case mfaLocked(retryAfterSeconds: Int)
    /// The hashing pool is full; answered at once rather than queued.
    case overloaded
    /// PostgreSQL is not answering.
    case databaseUnavailable
}

/// A secret carried in a value (an error, a reply) that must never reach a log line: it prints
/// as `<redacted>`.
public struct SecretText: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
