public import WireProtocol
public import WireTransport

extension IdentityError: WireErrorConvertible {
    public var wireStatus: WireStatus {
        switch self {
        case .invalidField: .invalidArgument
        case .usernameTaken, .emailTaken: .conflict
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
        case .invalidCredentials: "Incorrect username or password"
        case .userNotFound: "User not found"
        case .accountInactive: "Inactive user"
        case .overloaded: "Service overloaded, retry later"
        case .databaseUnavailable: "Database unavailable"
        }
    }

    public var wireMetadata: [String: String] {
        if case .invalidField(let field, _) = self { return ["field": field] }
        return [:]
    }
}
