import ServiceRuntime
import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Seed 001's API flow, tokens in bodies: the OAuth2 token endpoint, refresh, logout and
/// change of password. The sessions underneath are the same as seed 000's cookie flow.
struct OAuthRoutes {
    let identity: IdentityClient
    let sessions: Sessions
    let authenticator: Authenticator
    let cookies: SessionCookies
    let limits: RateLimits

    func register(in routes: RouteRegistrar) {
        routes.on(.post, "/api/v1/auth/token") { request, context in try await self.token(request, context) }
        routes.on(.post, "/api/v1/auth/refresh") { request, context in try await self.refresh(request, context) }
        routes.on(.post, "/api/v1/auth/logout") { request, context in try await self.logout(request, context) }
        routes.on(.post, "/api/v1/auth/change-password") { request, context in try await self.changePassword(request, context) }
        routes.on(.post, "/api/v1/auth/logout-all") { request, context in try await self.logoutEverywhere(request, context) }
        routes.on(.post, "/api/v1/auth/revoke") { request, context in try await self.revoke(request, context) }
    }

    /// RFC 6749 form: `grant_type=password` (or none) with `username` (name or email),
    /// `password` and optional `scope`; or `grant_type=refresh_token` with `refresh_token`.
    func token(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.formOrJSON(TokenBody.self, request, context: context)
        let client = self.limits.client(request, context)
        switch body.grantType?.value ?? "" {
        case "", "password":
            do {
                let (pair, decision) = try await self.sessions.logIn(
                    login: try Field.required(body.username, "username"),
                    password: try Field.required(body.password, "password"),
                    requestedScopes: Scope.parse(body.scope?.value ?? ""),
                    route: .token,
                    client: client,
                    context: context
                )
                return Self.tokenResponse(pair, rateLimit: decision)
            } catch var error as APIError where error.status == .forbidden && error.detail == "mfa_required" {
                // OAuth2 clients read `error`.
                error.fields.insert(("error", "mfa_required"), at: 0)
                throw error
            }
        case "refresh_token":
            let (pair, decision) = try await self.sessions.rotate(
                try Field.required(body.refreshToken, "refresh_token"),
                client: client,
                context: context
            )
            return Self.tokenResponse(pair, rateLimit: decision)
        default:
            throw APIError(.badRequest, "unsupported_grant_type")
        }
    }

    /// JSON `{refresh_token}` → a new pair; the presented token is spent. As on seed 003's
    /// router, the token may also come as `Authorization: Bearer` or in the refresh cookie (the
    /// body wins here, as this route's own clients send it); a token from the cookie is
    /// replaced there too.
    func refresh(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        guard
            let presented = try await PresentedRefreshToken.find(
                in: request,
                context: context,
                cookieName: self.cookies.refresh.name,
                order: [.body, .header, .cookie]
            )
        else {
            throw APIError(.unprocessableContent, "refresh_token: field required")
        }
        do {
            let (pair, decision) = try await self.sessions.rotate(presented.token, client: self.limits.client(request, context), context: context)
            var response = Self.tokenResponse(pair, rateLimit: decision)
            if presented.source == .cookie {
                self.cookies.set(pair, .init(access: false, csrf: false), in: &response.headers)
            }
            return response
        } catch var error as APIError where error.status == .unauthorized && presented.source == .cookie {
            error.headers[.setCookie] = self.cookies.refresh.clearing
            throw error
        }
    }

    /// Bearer + JSON `{refresh_token}`: the token's session is revoked and the access token
    /// denied until it expires. A refresh token that is not the caller's, or not a live one, is 400.
    func logout(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context)
        let body = try await RequestBody.json(RefreshTokenBody.self, request, context: context)
        let refreshToken = try Field.required(body.refreshToken, "refresh_token")
        guard case .accessToken(let accessToken, let claims) = caller.credential else { throw Authenticator.invalidToken }
        let reply = try await self.sessions.end(
            refreshToken: refreshToken,
            accessToken: accessToken,
            ownerID: claims.userID,
            countingAddress: false,  // the caller's own limit was counted by authentication
            client: self.limits.client(request, context),
            context: context
        )
        guard reply.familyRevoked else { throw APIError(.badRequest, "Invalid token") }
        return JSONBody.response(.ok, #"{"detail":"Successfully logged out"}"#, headers: [.cacheControl: "no-store"])
    }

    /// RFC 7009 token revocation: form (or JSON) `token` and an optional `token_type_hint`
    /// (`access_token` or `refresh_token`). A refresh token's session ends; an access token is
    /// denied until it expires. The answer is 200 with an empty body whether or not the token was
    /// valid, so the endpoint tells nobody which tokens are live.
    func revoke(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.formOrJSON(RevocationBody.self, request, context: context)
        let token = try Field.required(body.token, "token")
        // The hint only orders the guesses (RFC 7009 §2.1); the shape of our tokens decides.
        let isRefresh = PresentedRefreshToken.isRefreshTokenShaped(token)
        _ = try await self.sessions.end(
            refreshToken: isRefresh ? token : "",
            accessToken: isRefresh ? "" : token,
            client: self.limits.client(request, context),
            context: context
        )
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }

    /// Bearer + JSON `{current_password, new_password}`. Wrong current password or an unchanged
    /// one → 400; the policy → 422. Success ends every session and access token of the user.
    func changePassword(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(PasswordChangeBody.self, request, context: context)
        var change = WireChangePasswordRequest()
        change.userID = caller.userID
        change.currentPassword = try Field.required(body.currentPassword, "current_password")
        change.newPassword = try Field.required(body.newPassword, "new_password")
        change.factor = SecondFactorFields.factor(code: body.code, recoveryCode: body.recoveryCode)
        change.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let user = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.changePassword(change, requestID: context.requestID) }
        }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, #"{"detail":"Password changed. Please log in again on all devices."}"#)
    }

    /// "Log out everywhere" (Bearer, `profile:write`): every session, access token and API key of
    /// the caller ends, this one included.
    func logoutEverywhere(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        var end = WireEndAllSessionsRequest()
        end.userID = caller.userID
        end.client = self.limits.client(request, context)
        let user = try await BackendCall.run("identity") { try await self.identity.endAllSessions(end, requestID: context.requestID) }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, #"{"detail":"Logged out on all devices"}"#, headers: [.cacheControl: "no-store"])
    }

    /// `{access_token, refresh_token, token_type, expires_in, scope}`, never cached (RFC 6749 §5.1).
    static func tokenResponse(_ pair: WireTokenPair, rateLimit: WireRateLimitDecision?) -> Response {
        var body = ByteBuffer()
        body.writeString(#"{"access_token":"#)
        body.writeJSONString(pair.accessToken)
        body.writeString(#","refresh_token":"#)
        body.writeJSONString(pair.refreshToken)
        body.writeString(#","token_type":"bearer","expires_in":"#)
        body.writeString(String(pair.expiresIn))
        body.writeString(#","scope":"#)
        body.writeJSONString(pair.scope)
        body.writeString("}")
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Pragma")!] = "no-cache"
        RateLimits.apply(rateLimit, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    /// RFC 6749's token request, as a form or JSON.
    struct TokenBody: Decodable {
        var grantType: Text?
        var username: Text?
        var password: Text?
        var scope: Text?
        var refreshToken: Text?

        enum CodingKeys: String, CodingKey {
            case grantType = "grant_type"
            case username, password, scope
            case refreshToken = "refresh_token"
        }
    }

    /// RFC 7009's revocation request.
    struct RevocationBody: Decodable {
        var token: Text?
        var tokenTypeHint: Text?

        enum CodingKeys: String, CodingKey {
            case token
            case tokenTypeHint = "token_type_hint"
        }
    }

    struct RefreshTokenBody: Decodable {
        var refreshToken: Text?

        enum CodingKeys: String, CodingKey {
            case refreshToken = "refresh_token"
        }
    }

    struct PasswordChangeBody: Decodable {
        var currentPassword: Text?
        var newPassword: Text?
        var code: Text?
        var recoveryCode: Text?

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
            case code
            case recoveryCode = "recovery_code"
        }
    }
}
