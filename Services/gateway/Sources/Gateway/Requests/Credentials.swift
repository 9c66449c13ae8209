import HTTPTypes
import Hummingbird

/// Where a request's credentials are: the bearer token and the refresh cookie.
enum Credentials {
    /// Larger `Authorization` headers are refused without being parsed.
    static let maximumAuthorizationBytes = 8 * 1024 + 16

    /// The bearer token, or a 401 saying why there is none.
    static func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "Not authenticated", headers: APIError.bearerChallenge(error: nil))
        }
        guard header.utf8.count <= Self.maximumAuthorizationBytes else {
            throw APIError(.unauthorized, "Could not validate credentials", headers: APIError.bearerChallenge(error: "invalid_token"))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw APIError(.unauthorized, "Not authenticated", headers: APIError.bearerChallenge(error: nil))
        }
        return String(parts[1]).trimmingCharacters(in: " ")
    }

    /// An access token as presented, and whether it came from a cookie (then a state-changing
    /// request must also pass the CSRF check).
    struct PresentedAccessToken: Sendable {
        var token: String
        var fromCookie: Bool
    }

    /// The access token from the first configured location that has one, unchecked.
    static func presentedAccessToken(_ request: Request, locations: TokenLocations, bodyToken: String? = nil) throws -> PresentedAccessToken {
        if locations.headers, request.headers[.authorization] != nil {
            return PresentedAccessToken(token: try self.bearerToken(request), fromCookie: false)
        }
        if locations.cookies, let token = self.cookie(locations.accessCookieName, in: request), !token.isEmpty {
            guard token.utf8.count <= Self.maximumAuthorizationBytes else {
                throw APIError(.unauthorized, "Could not validate credentials", headers: APIError.bearerChallenge(error: "invalid_token"))
            }
            return PresentedAccessToken(token: token, fromCookie: true)
        }
        if locations.body, let bodyToken, !bodyToken.isEmpty {
            return PresentedAccessToken(token: bodyToken, fromCookie: false)
        }
        return PresentedAccessToken(token: try self.bearerToken(request), fromCookie: false)
    }

    /// The access token from the first configured location that has one. A token taken from a
    /// cookie on a state-changing request must come with the CSRF header repeating the CSRF
    /// cookie (double submit), compared in constant time. Routes that verify the token check
    /// the header against the session's own CSRF token instead (``checkCSRF(_:expected:locations:)``).
    static func accessToken(_ request: Request, locations: TokenLocations, bodyToken: String? = nil) throws -> String {
        let presented = try self.presentedAccessToken(request, locations: locations, bodyToken: bodyToken)
        if presented.fromCookie { try self.checkCSRF(request, expected: "", locations: locations) }
        return presented.token
    }

    /// The CSRF check of a request authenticated by the access cookie: a state-changing one must
    /// repeat in the CSRF header the session's CSRF token (`expected`, a keyed hash of the
    /// session the token service knows), so a value planted in the cookies does not pass; for a
    /// token naming no session, the header must repeat the CSRF cookie (double submit).
    static func checkCSRF(_ request: Request, expected: String, locations: TokenLocations) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        let wanted = expected.isEmpty ? (self.cookie(locations.csrfCookieName, in: request) ?? "") : expected
        let presented = HTTPField.Name(locations.csrfHeaderName).flatMap { request.headers[$0] } ?? ""
        guard !wanted.isEmpty, Self.constantTimeEquals(wanted, presented) else {
            throw APIError(.forbidden, "CSRF token missing or invalid")
        }
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

    /// The value of cookie `name`, if sent.
    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: " ") == name else { continue }
                var value = parts[1].trimmingCharacters(in: " ")
                if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                return value
            }
        }
        return nil
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
