import AccessControl
import HTTPTypes
import Hummingbird
import WireProtocol

/// Establishes the ``Principal`` of a request and checks the route's ``Requirement``s.
///
/// A bearer token is verified by the token service (signature, claims, denylist, revocation
/// epoch and the user's rate limit in one Redis round trip), then the user is read from identity,
/// so an inactive, deleted or changed account is refused at once, even when Redis could not
/// confirm the revocation. An API key (`X-API-Key`, where the route accepts one) is checked by
/// identity and counted against its own rate limit. A bearer token wins when both are sent.
struct Authenticator: Sendable {
    let identity: IdentityClient
    let token: TokenClient
    let limits: RateLimits
    let locations: TokenLocations

    /// The longest `X-API-Key` looked at; longer ones are refused unread.
    static let maximumAPIKeyBytes = 256

    func principal(
        _ request: Request,
        _ context: GatewayRequestContext,
        acceptingAPIKey: Bool = false,
        requiring requirements: [Requirement] = []
    ) async throws -> Principal {
        let principal: Principal
        if acceptingAPIKey, !self.hasAccessToken(request), let key = request.headers[.xAPIKey] {
            principal = try await self.apiKeyPrincipal(key, context)
        } else {
            let presented = try Credentials.presentedAccessToken(request, locations: self.locations)
            principal = try await self.tokenPrincipal(presented.token, context)
            if presented.fromCookie, case .accessToken(_, let claims) = principal.credential {
                try CSRFCheck.check(request, expected: claims.csrfToken, locations: self.locations)
            }
        }
        for requirement in requirements { try requirement.check(principal) }
        return principal
    }

    private func hasAccessToken(_ request: Request) -> Bool {
        (self.locations.headers && request.headers[.authorization] != nil)
            || (self.locations.cookies && Credentials.cookie(self.locations.accessCookieName, in: request) != nil)
    }

    func tokenPrincipal(_ accessToken: String, _ context: GatewayRequestContext) async throws -> Principal {
        let claims = try await BackendCall.run("token") {
            try await self.token.verify(accessToken: accessToken, limit: self.limits.userLimit, requestID: context.requestID)
        }
        let decision = claims.hasRateLimit ? claims.rateLimit : nil
        if let decision, !decision.allowed { throw RateLimits.tooMany(decision) }
        let user = try await self.user(claims.userID, context)
        // Identity's own record of the last "revoke everything": holds even if Redis missed it.
        guard claims.issuedAtMs >= user.tokensValidAfterMs else { throw Self.invalidToken }
        let role = Role(rawValue: user.role) ?? .user
        return Principal(
            user: user,
            role: role,
            scopes: Scope.effective(Scope.parse(claims.scope), role: role),
            credential: .accessToken(accessToken, claims),
            rateLimit: decision
        )
    }

    private func apiKeyPrincipal(_ key: String, _ context: GatewayRequestContext) async throws -> Principal {
        guard !key.isEmpty, key.utf8.count <= Self.maximumAPIKeyBytes else {
            throw APIError(.unauthorized, "Invalid API key", headers: APIError.bearerChallenge(error: nil))
        }
        let found = try await BackendCall.run("identity") { try await self.identity.authenticateAPIKey(key, requestID: context.requestID) }
        let role = Role(rawValue: found.user.role) ?? .user
        let decision = try await self.limits.check(
            [self.limits.rule("apikey:\(found.keyID)", self.limits.configuration.standard)],
            failClosed: false,
            context: context
        )
        return Principal(
            user: found.user,
            role: role,
            // At most the key's scopes, and never more than the user's role allows today.
            scopes: Scope.effective(found.scopes, role: role),
            credential: .apiKey(key, id: found.keyID),
            rateLimit: decision
        )
    }

    private func user(_ id: Int64, _ context: GatewayRequestContext) async throws -> WireUser {
        do {
            return try await BackendCall.run("identity") { try await self.identity.user(id: id, requestID: context.requestID) }
        } catch let error as APIError where error.status == .notFound || error.status == .unauthorized {
            throw Self.invalidToken
        }
    }

    static let invalidToken = APIError(.unauthorized, "Could not validate credentials", headers: APIError.bearerChallenge(error: "invalid_token"))
}

extension HTTPField.Name {
    static let xAPIKey = HTTPField.Name("X-API-Key")!
}
