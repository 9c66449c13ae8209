import ServiceRuntime
import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Seed 000's browser flow: register, login (refresh token in an HttpOnly cookie), one-time
/// refresh rotation, logout, about_me.
struct AuthRoutes {
    let registration: Registration
    let sessions: Sessions
    let authenticator: Authenticator
    let cookies: SessionCookies
    let limits: RateLimits

    var locations: TokenLocations { self.cookies.locations }
    /// The access and CSRF cookies are set only where access cookies are accepted.
    var browserCookies: SessionCookies.Selection { .init(access: self.locations.cookies, csrf: self.locations.cookies) }

    func register(in routes: RouteRegistrar) {
        routes.on(.post, "/api/v1/register") { request, context in try await self.register(request, context) }
        routes.on(.post, "/api/v1/login") { request, context in try await self.login(request, context) }
        routes.on(.post, "/api/v1/refresh") { request, context in try await self.refresh(request, context) }
        routes.on(.post, "/api/v1/logout") { request, context in try await self.logout(request, context) }
        routes.on(.get, "/api/v1/about_me") { request, context in try await self.aboutMe(request, context) }
        // Seed 001's names for the same operations.
        routes.on(.post, "/api/v1/users/register") { request, context in try await self.register(request, context) }
        routes.on(.get, "/api/v1/users/me") { request, context in try await self.aboutMe(request, context) }
    }

    /// JSON `{username, email, password, full_name?}` → 201 the user.
    func register(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(RegisterBody.self, request, context: context)
        var message = WireRegisterRequest()
        message.username = try Field.required(body.username, "username")
        message.email = try Field.required(body.email, "email")
        message.password = try Field.required(body.password, "password")
        if let fullName = body.fullName { message.fullName = fullName.value }
        let (user, decision) = try await self.registration.register(message, request, context)
        var headers = HTTPFields()
        RateLimits.apply(decision, to: &headers)
        return JSONBody.response(.created, UserJSON.body(user), headers: headers)
    }

    /// Form (or JSON) `username` (a username or an email) and `password` → the access token in
    /// the body, the refresh token in the cookie.
    func login(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.formOrJSON(LoginBody.self, request, context: context)
        let (pair, decision) = try await self.sessions.logIn(
            login: try Field.required(body.username, "username"),
            password: try Field.required(body.password, "password"),
            requestedScopes: [],
            route: .login,
            client: self.limits.client(request, context),
            context: context
        )
        return self.tokenResponse(pair, rateLimit: decision)
    }

    /// The refresh cookie → a new access token and a new cookie; the presented token is spent.
    func refresh(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        guard let presented = Credentials.cookie(self.cookies.refresh.name, in: request), !presented.isEmpty else {
            throw APIError(.unauthorized, "Refresh token missing", headers: APIError.bearerChallenge(error: nil))
        }
        do {
            let (pair, decision) = try await self.sessions.rotate(presented, client: self.limits.client(request, context), context: context)
            return self.tokenResponse(pair, rateLimit: decision)
        } catch var error as APIError where error.status == .unauthorized {
            // A dead refresh token is of no use to the browser: drop it.
            error.headers[.setCookie] = self.cookies.refresh.clearing
            throw error
        }
    }

    /// Revokes the cookie's session and denies the presented access token; clears the cookie.
    func logout(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        var revoke = WireRevokeSessionRequest()
        revoke.refreshToken = Credentials.cookie(self.cookies.refresh.name, in: request) ?? ""
        let bodyToken = self.locations.body ? (try? await RequestBody.json(LogoutBody.self, request, context: context))?.accessToken?.value : nil
        do {
            revoke.accessToken = try Credentials.accessToken(request, locations: self.locations, bodyToken: bodyToken)
        } catch let error as APIError where error.status == .forbidden {
            throw error  // a cookie token without its CSRF header: a forged request
        } catch {
            revoke.accessToken = ""  // no access token: logout still revokes the refresh session
        }
        _ = try await self.sessions.end(
            refreshToken: revoke.refreshToken,
            accessToken: revoke.accessToken,
            client: self.limits.client(request, context),
            context: context
        )
        var headers = HTTPFields()
        self.cookies.clear(self.browserCookies, in: &headers)
        headers[.cacheControl] = "no-store"
        return JSONBody.response(.ok, ByteBuffer(string: #"{"detail":"Successfully logged out"}"#), headers: headers)
    }

    /// Bearer (or `X-API-Key`) → the current user, fresh from identity (so an inactive or
    /// deleted user is refused).
    func aboutMe(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, acceptingAPIKey: true, requiring: [.scope(Scope.profileRead)])
        var headers = HTTPFields()
        RateLimits.apply(caller.rateLimit, to: &headers)
        return JSONBody.response(.ok, UserJSON.body(caller.user), headers: headers)
    }

    func tokenResponse(_ pair: WireTokenPair, rateLimit: WireRateLimitDecision?) -> Response {
        var body = ByteBuffer()
        body.writeString(#"{"access_token":"#)
        body.writeJSONString(pair.accessToken)
        body.writeString(#","token_type":"bearer","expires_in":"#)
        body.writeString(String(pair.expiresIn))
        body.writeString("}")
        var headers = HTTPFields()
        self.cookies.set(pair, self.browserCookies, in: &headers)
        headers[.cacheControl] = "no-store"
        RateLimits.apply(rateLimit, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    struct RegisterBody: Decodable {
        var username: Text?
        var email: Text?
        var password: Text?
        var fullName: Text?

        enum CodingKeys: String, CodingKey {
            case username, email, password
            case fullName = "full_name"
        }
    }

    /// OAuth2's password form: `username` is a username or an email.
    struct LoginBody: Decodable {
        var username: Text?
        var password: Text?
    }

    /// Where `TOKEN_LOCATIONS` includes `body`, the access token may come in the logout body.
    struct LogoutBody: Decodable {
        var accessToken: Text?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
        }
    }
}
