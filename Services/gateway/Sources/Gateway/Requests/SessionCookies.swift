import HTTPTypes
import WireProtocol

/// The cookies a browser session lives in, written in one place for every router: the refresh
/// cookie, the access-token cookie (`ACCESS_COOKIE_NAME`, HttpOnly, `Path=/`) and, where
/// access cookies authenticate state-changing routes, the script-readable CSRF cookie of the
/// double-submit check.
struct SessionCookies: Sendable {
    let refresh: RefreshCookie
    let locations: TokenLocations
    /// `ACCESS_COOKIE_MAX_AGE`: seconds; `nil` for the access token's own lifetime.
    let accessMaxAge: Int?

    /// Which cookies an answer sets or clears besides the refresh cookie.
    struct Selection: Sendable {
        /// The path of the refresh cookie; `nil` for the configured `COOKIE_PATH`.
        var refreshPath: String? = nil
        var access: Bool
        var csrf: Bool
    }

    /// `Set-Cookie` headers for a new token pair.
    func set(_ pair: WireTokenPair, _ selection: Selection, in headers: inout HTTPFields) {
        headers.append(
            HTTPField(name: .setCookie, value: self.refresh.setting(pair.refreshToken, lifetime: pair.refreshExpiresIn, path: selection.refreshPath))
        )
        let attributes = "Path=/; SameSite=\(self.refresh.sameSite)\(self.refresh.secure ? "; Secure" : "")"
        if selection.access {
            let maxAge = self.accessMaxAge.map(Int64.init) ?? pair.expiresIn
            headers.append(
                HTTPField(
                    name: .setCookie,
                    value: "\(self.locations.accessCookieName)=\(pair.accessToken); HttpOnly; Max-Age=\(maxAge); \(attributes)"
                )
            )
        }
        if selection.csrf {
            // Read by the page's script and repeated in a header on state-changing requests.
            let maxAge = self.refresh.maxAge.map(Int64.init) ?? pair.refreshExpiresIn
            headers.append(
                // The session's own CSRF token from the token service (bound to the session);
                // a random one only if none came.
                HTTPField(
                    name: .setCookie,
                    value:
                        "\(self.locations.csrfCookieName)=\(pair.csrfToken.isEmpty ? CSRFCheck.newToken() : pair.csrfToken); Max-Age=\(maxAge); \(attributes)"
                )
            )
        }
    }

    /// `Set-Cookie` headers that remove the selected cookies.
    func clear(_ selection: Selection, in headers: inout HTTPFields) {
        headers.append(HTTPField(name: .setCookie, value: self.refresh.clearing(path: selection.refreshPath)))
        let attributes = "Max-Age=0; Path=/; SameSite=\(self.refresh.sameSite)\(self.refresh.secure ? "; Secure" : "")"
        if selection.access { headers.append(HTTPField(name: .setCookie, value: "\(self.locations.accessCookieName)=\"\"; HttpOnly; \(attributes)")) }
        if selection.csrf { headers.append(HTTPField(name: .setCookie, value: "\(self.locations.csrfCookieName)=\"\"; \(attributes)")) }
    }
}
