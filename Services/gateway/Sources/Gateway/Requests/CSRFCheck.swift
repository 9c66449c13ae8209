import HTTPTypes
import Hummingbird

/// The CSRF defence of requests authenticated by the access cookie (the browser sends it by
/// itself, so a state-changing request must prove the page that sent it could read something a
/// third-party page cannot).
enum CSRFCheck {
    /// A state-changing request must repeat in the CSRF header (`CSRF_HEADER_NAME`) the session's
    /// CSRF token (`expected`, a keyed hash of the session the token service knows), so a value
    /// planted in the cookies does not pass; for a token naming no session, the header must repeat
    /// the CSRF cookie (double submit). Compared in constant time.
    static func check(_ request: Request, expected: String, locations: TokenLocations) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        let wanted = expected.isEmpty ? (Credentials.cookie(locations.csrfCookieName, in: request) ?? "") : expected
        let presented = HTTPField.Name(locations.csrfHeaderName).flatMap { request.headers[$0] } ?? ""
        guard !wanted.isEmpty, Self.constantTimeEquals(wanted, presented) else {
            throw APIError(.forbidden, "CSRF token missing or invalid")
        }
    }

    /// 256 random bits for the double-submit cookie, when the token service sent no session token.
    static func newToken() -> String {
        RequestContextMiddleware.makeRequestID() + RequestContextMiddleware.makeRequestID()
    }

    /// Compares in time that depends only on the lengths.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
