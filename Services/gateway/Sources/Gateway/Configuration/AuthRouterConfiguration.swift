public import ServiceConfiguration

/// Seed 003's router and the cookie settings its library users know (`AuthSettings`), in this
/// project's names.
public struct AuthRouterConfiguration: Sendable, Hashable {
    /// `AUTH_ROUTER_PREFIX` (`/auth`): where the router is mounted; `nil` (set empty) turns it off.
    public var prefix: String?
    /// `SET_COOKIE_ON_LOGIN` (true): its login and refresh answers also set the access and
    /// refresh cookies (the library's `set_cookie_on_login`).
    public var setCookieOnLogin: Bool
    /// `ACCESS_COOKIE_MAX_AGE`: seconds; unset, the access token's lifetime.
    public var accessCookieMaxAge: Int?
    /// `REFRESH_COOKIE_MAX_AGE`: seconds; unset, the refresh token's lifetime.
    public var refreshCookieMaxAge: Int?

    /// Browsers keep no cookie longer than 400 days.
    static let maximumCookieAge = 400 * 86400

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        let prefix = environment.string("AUTH_ROUTER_PREFIX", default: "/auth")
        if environment.values["AUTH_ROUTER_PREFIX"] == "" {
            self.prefix = nil
        } else {
            self.prefix = try Self.prefix(prefix)
        }
        self.setCookieOnLogin = try environment.boolean("SET_COOKIE_ON_LOGIN", default: true)
        self.accessCookieMaxAge = try Self.age(environment, "ACCESS_COOKIE_MAX_AGE")
        self.refreshCookieMaxAge = try Self.age(environment, "REFRESH_COOKIE_MAX_AGE")
    }

    /// A path of one or more segments of letters, digits and `-._~`, outside `/api/v1` (whose
    /// routes have the same names).
    static func prefix(_ text: String) throws(ConfigurationError) -> String {
        let path = text.hasSuffix("/") ? String(text.dropLast()) : text
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~".utf8)
        guard path.hasPrefix("/"), !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(allowed.contains) }) else {
            throw ConfigurationError(
                variable: "AUTH_ROUTER_PREFIX",
                reason: "must be a path like /auth (letters, digits, -._~), or empty to turn the router off"
            )
        }
        guard path != "/api/v1", !path.hasPrefix("/api/v1/") else {
            throw ConfigurationError(variable: "AUTH_ROUTER_PREFIX", reason: "must not be inside /api/v1, whose routes have the same names")
        }
        return path
    }

    static func age(_ environment: EnvironmentReader, _ name: String) throws(ConfigurationError) -> Int? {
        guard environment.optional(name) != nil else { return nil }
        return try environment.integer(name, default: 0, in: 1...Self.maximumCookieAge)
    }
}
