import HTTPTypes
import Hummingbird
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
        if selection.access {
            let maxAge = self.accessMaxAge ?? Int(clamping: pair.expiresIn)
            let cookie = self.refresh.cookie(self.locations.accessCookieName, value: pair.accessToken, maxAge: maxAge, path: "/")
            headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
        if selection.csrf {
            // Read by the page's script and repeated in a header on state-changing requests: the
            // session's own CSRF token from the token service (bound to the session), a random
            // one only if none came.
            let maxAge = self.refresh.maxAge ?? Int(clamping: pair.refreshExpiresIn)
            let value = pair.csrfToken.isEmpty ? CSRFCheck.newToken() : pair.csrfToken
            let cookie = self.refresh.cookie(self.locations.csrfCookieName, value: value, maxAge: maxAge, path: "/", httpOnly: false)
            headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
    }

    /// `Set-Cookie` headers that remove the selected cookies.
    func clear(_ selection: Selection, in headers: inout HTTPFields) {
        headers.append(HTTPField(name: .setCookie, value: self.refresh.clearing(path: selection.refreshPath)))
        if selection.access {
            let cookie = self.refresh.cookie(self.locations.accessCookieName, value: "", maxAge: 0, path: "/")
            headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
        if selection.csrf {
            let cookie = self.refresh.cookie(self.locations.csrfCookieName, value: "", maxAge: 0, path: "/", httpOnly: false)
            headers.append(HTTPField(name: .setCookie, value: cookie.description))
        }
    }
}
