import Hummingbird

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

    /// The `SameSite` attribute as Hummingbird spells it.
    var sameSiteAttribute: Cookie.SameSite {
        switch self.sameSite {
        case "strict": .strict
        case "none": .none
        default: .lax
        }
    }

    /// A cookie named `name` with this cookie's `Secure` and `SameSite`: a clearing cookie must
    /// repeat them, or a browser ignores it under `SameSite=None`.
    func cookie(_ name: String, value: String, maxAge: Int, path: String, httpOnly: Bool = true) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: self.secure, httpOnly: httpOnly, sameSite: self.sameSiteAttribute)
    }

    /// `Set-Cookie` for a new refresh token living `lifetime` seconds, on `path` (default: ``path``).
    func setting(_ token: String, lifetime: Int64, path: String? = nil) -> String {
        let maxAge = self.maxAge ?? Int(clamping: lifetime)
        return self.cookie(self.name, value: token, maxAge: maxAge, path: path ?? self.path).description
    }

    /// `Set-Cookie` that removes the cookie set on `path` (default: ``path``).
    func clearing(path: String? = nil) -> String {
        self.cookie(self.name, value: "", maxAge: 0, path: path ?? self.path).description
    }

    /// `Set-Cookie` that removes the cookie set on ``path``.
    var clearing: String { self.clearing() }
}
