/// The HttpOnly cookie that carries the refresh token in the browser flow (seed 000).
public struct RefreshCookie: Sendable, Hashable {
    public var name: String
    public var secure: Bool
    /// `lax`, `strict` or `none`.
    public var sameSite: String
    /// Limits the cookie to the routes that use it.
    public var path: String

    public init(name: String = "refresh_token", secure: Bool = true, sameSite: String = "lax", path: String = "/api/v1") {
        self.name = name
        self.secure = secure
        self.sameSite = sameSite
        self.path = path
    }

    /// `Set-Cookie` for a new refresh token living `maxAge` seconds.
    func setting(_ token: String, maxAge: Int64) -> String {
        "\(self.name)=\(token); HttpOnly; Max-Age=\(maxAge); Path=\(self.path); SameSite=\(self.sameSite)\(self.secure ? "; Secure" : "")"
    }

    /// `Set-Cookie` that removes the cookie.
    var clearing: String {
        "\(self.name)=\"\"; HttpOnly; Max-Age=0; Path=\(self.path); SameSite=\(self.sameSite)\(self.secure ? "; Secure" : "")"
    }
}
