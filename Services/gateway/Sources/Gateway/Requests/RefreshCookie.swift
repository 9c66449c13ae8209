/// The HttpOnly cookie that carries the refresh token in the browser flows (seeds 000 and 003).
public struct RefreshCookie: Sendable, Hashable {
    public var name: String
    public var secure: Bool
    /// `lax`, `strict` or `none`.
    public var sameSite: String
    /// Limits the cookie to the routes that use it.
    public var path: String
    /// `REFRESH_COOKIE_MAX_AGE`: the cookie's lifetime in seconds; `nil` for the refresh token's own.
    public var maxAge: Int?

    public init(name: String = "refresh_token", secure: Bool = true, sameSite: String = "lax", path: String = "/api/v1", maxAge: Int? = nil) {
        self.name = name
        self.secure = secure
        self.sameSite = sameSite
        self.path = path
        self.maxAge = maxAge
    }

    /// `Set-Cookie` for a new refresh token living `lifetime` seconds, on `path` (default: ``path``).
    func setting(_ token: String, lifetime: Int64, path: String? = nil) -> String {
        let maxAge = self.maxAge.map(Int64.init) ?? lifetime
        return
            "\(self.name)=\(token); HttpOnly; Max-Age=\(maxAge); Path=\(path ?? self.path); SameSite=\(self.sameSite)\(self.secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that removes the cookie set on `path` (default: ``path``).
    func clearing(path: String? = nil) -> String {
        "\(self.name)=\"\"; HttpOnly; Max-Age=0; Path=\(path ?? self.path); SameSite=\(self.sameSite)\(self.secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that removes the cookie set on ``path``.
    var clearing: String { self.clearing() }
}
