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

    /// The access token from the first configured location that has one. A token taken from a
    /// cookie on a state-changing request must come with the CSRF header repeating the CSRF
    /// cookie (double submit), compared in constant time.
    static func accessToken(_ request: Request, locations: TokenLocations, bodyToken: String? = nil) throws -> String {
        if locations.headers, request.headers[.authorization] != nil {
            return try self.bearerToken(request)
        }
        if locations.cookies, let token = self.cookie(locations.accessCookieName, in: request), !token.isEmpty {
            guard token.utf8.count <= Self.maximumAuthorizationBytes else {
                throw APIError(.unauthorized, "Could not validate credentials", headers: APIError.bearerChallenge(error: "invalid_token"))
            }
            if ![.get, .head, .options].contains(request.method) {
                let expected = self.cookie(locations.csrfCookieName, in: request) ?? ""
                let presented = HTTPField.Name(locations.csrfHeaderName).flatMap { request.headers[$0] } ?? ""
                guard !expected.isEmpty, Self.constantTimeEquals(expected, presented) else {
                    throw APIError(.forbidden, "CSRF token missing or invalid")
                }
            }
            return token
        }
        if locations.body, let bodyToken, !bodyToken.isEmpty {
            return bodyToken
        }
        return try self.bearerToken(request)
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
