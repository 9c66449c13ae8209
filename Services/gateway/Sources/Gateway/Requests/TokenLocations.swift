public import ServiceConfiguration

/// Where an access token may come from (seed 003): the `Authorization` header, a cookie, or a
/// JSON body field; and the cookies of the cookie flow with its CSRF double-submit check.
public struct TokenLocations: Sendable, Hashable {
    public var headers: Bool
    public var cookies: Bool
    public var body: Bool
    /// The HttpOnly cookie carrying the access token (`ACCESS_COOKIE_NAME`, `access_token`).
    public var accessCookieName: String
    /// The script-readable cookie holding the CSRF token (`CSRF_COOKIE_NAME`, `csrf_token`).
    public var csrfCookieName: String
    /// The header that must repeat it on state-changing requests (`CSRF_HEADER_NAME`, `X-CSRF-Token`).
    public var csrfHeaderName: String

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        let names = environment.string("TOKEN_LOCATIONS", default: "headers").lowercased()
            .split(separator: ",").map { $0.filter { !$0.isWhitespace } }.filter { !$0.isEmpty }
        for name in names where !["headers", "cookies", "body"].contains(name) {
            throw ConfigurationError(variable: "TOKEN_LOCATIONS", reason: "\"\(name)\" is not one of headers, cookies, body")
        }
        guard !names.isEmpty else { throw ConfigurationError(variable: "TOKEN_LOCATIONS", reason: "names no location") }
        self.headers = names.contains("headers")
        self.cookies = names.contains("cookies")
        self.body = names.contains("body")
        self.accessCookieName = environment.string("ACCESS_COOKIE_NAME", default: "access_token")
        self.csrfCookieName = environment.string("CSRF_COOKIE_NAME", default: "csrf_token")
        self.csrfHeaderName = environment.string("CSRF_HEADER_NAME", default: "X-CSRF-Token")
        for (variable, value) in [
            ("ACCESS_COOKIE_NAME", self.accessCookieName), ("CSRF_COOKIE_NAME", self.csrfCookieName), ("CSRF_HEADER_NAME", self.csrfHeaderName),
        ] {
            guard !value.isEmpty, value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }) else {
                throw ConfigurationError(variable: variable, reason: "must be a token of letters, digits and -_.")
            }
        }
    }

    public static let headersOnly = TokenLocations(headers: true, cookies: false, body: false)

    init(headers: Bool, cookies: Bool, body: Bool) {
        self.headers = headers
        self.cookies = cookies
        self.body = body
        self.accessCookieName = "access_token"
        self.csrfCookieName = "csrf_token"
        self.csrfHeaderName = "X-CSRF-Token"
    }
}
