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
    /// the header against the session's own CSRF token instead (``CSRFCheck/check(_:expected:locations:)``).
    static func accessToken(_ request: Request, locations: TokenLocations, bodyToken: String? = nil) throws -> String {
        let presented = try self.presentedAccessToken(request, locations: locations, bodyToken: bodyToken)
        if presented.fromCookie { try CSRFCheck.check(request, expected: "", locations: locations) }
        return presented.token
    }

    /// The value of cookie `name`, if sent (Hummingbird's cookie parser; a value sent quoted,
    /// as RFC 6265 allows, without its quotes).
    static func cookie(_ name: String, in request: Request) -> String? {
        guard var value = request.cookies[name]?.value.trimmingCharacters(in: " ") else { return nil }
        if value.hasPrefix("\"") && value.hasSuffix("\"") && value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        return value
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
