import Hummingbird

/// The refresh token a refresh or logout request presents, and where it was found.
///
/// Seed 003's library looks in the `Authorization` header, then the refresh cookie, then a JSON
/// body `{refresh_token}`; seed 001's route reads the body first. A bearer value that is a JWT is
/// an access token sent out of habit, never one of our opaque refresh tokens
/// (`<user id>.<family>.<secret>`, whose first part is digits where a JWT's is base64 JSON): it
/// is passed over when a later place holds a refresh token.
struct PresentedRefreshToken: Sendable {
    enum Source: Sendable, Hashable {
        case header
        case cookie
        case body
    }

    var token: String
    var source: Source

    /// The first refresh token found in `order`, or `nil` when none of the places holds one.
    static func find(
        in request: Request,
        context: GatewayRequestContext,
        cookieName: String,
        order: [Source]
    ) async throws -> PresentedRefreshToken? {
        var passedOver: PresentedRefreshToken?
        for source in order {
            guard let token = try await self.value(source, request, context, cookieName: cookieName), !token.isEmpty else { continue }
            guard token.utf8.count <= Credentials.maximumAuthorizationBytes else {
                throw APIError(.unauthorized, "Invalid or expired refresh token", headers: APIError.bearerChallenge(error: "invalid_token"))
            }
            let found = PresentedRefreshToken(token: token, source: source)
            if Self.isRefreshTokenShaped(token) { return found }
            passedOver = passedOver ?? found
        }
        // Something was sent but none of it looks like ours: let the token service say it is invalid.
        return passedOver
    }

    private static func value(_ source: Source, _ request: Request, _ context: GatewayRequestContext, cookieName: String) async throws -> String? {
        switch source {
        case .header:
            guard request.headers[.authorization] != nil else { return nil }
            return try? Credentials.bearerToken(request)
        case .cookie:
            return Credentials.cookie(cookieName, in: request)
        case .body:
            return try await RequestBody.optional(OAuthRoutes.RefreshTokenBody.self, request, context: context)?.refreshToken?.value
        }
    }

    /// Whether `token` has the shape of our refresh tokens: three dot-separated parts, the first digits.
    static func isRefreshTokenShaped(_ token: String) -> Bool {
        let parts = token.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        return parts.count == 3 && !parts[0].isEmpty && parts[0].utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
