/// What identity operations can refuse, each with only the data a caller needs.
public enum IdentityError: Error, Sendable, Hashable {
    /// A field failed validation: which field and why, in words for the client.
    case invalidField(field: String, reason: String)
    case usernameTaken
    case emailTaken
    /// Wrong username or password, unknown user, inactive, deleted or locked account: one
    /// answer for all so that a caller learns nothing about which.
    case invalidCredentials
    case userNotFound
    /// The account exists but may not be used (inactive or deleted).
    case accountInactive
    /// The hashing pool is full; answered at once rather than queued.
    case overloaded
    /// PostgreSQL is not answering.
    case databaseUnavailable
}
