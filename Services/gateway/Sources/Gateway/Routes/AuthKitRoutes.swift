import ServiceRuntime
import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Seed 003's router, as the users of that FastAPI library mount it (`AUTH_ROUTER_PREFIX`,
/// `/auth`): register, login with `username_or_email`, refresh with the token from the
/// `Authorization` header, the cookie or the body, logout, me.
///
/// Only the shapes of requests and answers are the library's. Underneath are the same sessions
/// (a session started here refreshes on `/api/v1/refresh` and the other way round), rate limits,
/// lockout, password policy (stricter than the library's) and audit as everywhere else.
struct AuthKitRoutes {
    let prefix: String
    let registration: Registration
    let sessions: Sessions
    let authenticator: Authenticator
    let cookies: SessionCookies
    let limits: RateLimits
    /// `SET_COOKIE_ON_LOGIN`: login and refresh answers set the access and refresh cookies.
    let setCookies: Bool

    /// The library reads the access token from the header, else from its cookie; on this
    /// router that holds whatever `TOKEN_LOCATIONS` says for the others.
    var accessTokenLocations: TokenLocations {
        var locations = self.cookies.locations
        (locations.headers, locations.cookies, locations.body) = (true, true, false)
        return locations
    }

    /// The refresh cookie lives on this router's paths (refresh and logout read it); the CSRF
    /// cookie is set only where access cookies also authenticate state-changing routes.
    var cookieSelection: SessionCookies.Selection {
        .init(refreshPath: self.prefix, access: true, csrf: self.cookies.locations.cookies)
    }

    func register(in routes: RouteRegistrar) {
        routes.on(.post, self.prefix + "/register") { request, context in try await self.register(request, context) }
        routes.on(.post, self.prefix + "/login") { request, context in try await self.login(request, context) }
        routes.on(.post, self.prefix + "/refresh") { request, context in try await self.refresh(request, context) }
        routes.on(.post, self.prefix + "/logout") { request, context in try await self.logout(request, context) }
        routes.on(.get, self.prefix + "/me") { request, context in try await self.me(request, context) }
    }

    /// JSON `{email, username, password}` → 200 `{id, email, username, is_staff, is_active}`;
    /// a taken username or email → 400, as the library answers.
    func register(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let form = try await RequestBody.json(RegisterBody.self, request, context: context)
        var message = WireRegisterRequest()
        message.email = try Field.required(form.email, "email")
        message.username = try Field.required(form.username, "username")
        message.password = try Field.required(form.password, "password")
        let user: WireUser
        let decision: WireRateLimitDecision?
        do {
            (user, decision) = try await self.registration.register(message, request, context)
        } catch var error as APIError where error.status == .conflict {
            error.status = .badRequest
            error.detail = "User with this email or username already exists"
            throw error
        }
        var body = ByteBuffer()
        body.writeString(#"{"id":\#(user.id),"email":"#)
        body.writeJSONString(user.email)
        body.writeString(#","username":"#)
        body.writeJSONString(user.username)
        body.writeString(#","is_staff":\#(Self.isStaff(user)),"is_active":\#(user.isActive)}"#)
        var headers = HTTPFields()
        RateLimits.apply(decision, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    /// JSON `{username_or_email, password}` → `{access_token, refresh_token}` and the cookies.
    func login(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(LoginBody.self, request, context: context)
        do {
            let (pair, decision) = try await self.sessions.logIn(
                login: try Field.required(body.usernameOrEmail, "username_or_email"),
                field: "username_or_email",
                password: try Field.required(body.password, "password"),
                requestedScopes: [],
                route: .auth,
                client: self.limits.client(request, context),
                context: context
            )
            return self.tokenResponse(pair, rateLimit: decision, setCookies: self.setCookies)
        } catch var error as APIError where error.status == .unauthorized {
            error.detail = "Invalid credentials"
            throw error
        }
    }

    /// The refresh token from the `Authorization` header, else the cookie, else the JSON body →
    /// a new pair (the presented token is spent) and renewed cookies.
    func refresh(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        guard
            let presented = try await PresentedRefreshToken.find(
                in: request,
                context: context,
                cookieName: self.cookies.refresh.name,
                order: [.header, .cookie, .body]
            )
        else {
            throw APIError(
                .unauthorized,
                "Refresh token not found. Provide it in Authorization header, cookie, or request body.",
                headers: APIError.bearerChallenge(error: nil)
            )
        }
        do {
            let (pair, decision) = try await self.sessions.rotate(presented.token, client: self.limits.client(request, context), context: context)
            // A token that came from the cookie must be replaced there, or the browser would
            // present the spent one next time (which is reuse).
            return self.tokenResponse(pair, rateLimit: decision, setCookies: self.setCookies || presented.source == .cookie)
        } catch var error as APIError where error.status == .unauthorized && presented.source == .cookie {
            var headers = HTTPFields()
            self.cookies.clear(self.cookieSelection, in: &headers)
            error.headers.append(contentsOf: headers)
            throw error
        }
    }

    /// Ends the session of the refresh cookie (or of a refresh token sent as bearer), denies the
    /// access token (bearer or cookie) until it expires, clears both cookies. Needs no CSRF
    /// token: a forged request could only end the caller's own session.
    func logout(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let bearer = request.headers[.authorization] != nil ? (try? Credentials.bearerToken(request)) : nil
        let bearerIsRefresh = bearer.map(PresentedRefreshToken.isRefreshTokenShaped) ?? false
        let refreshToken =
            Credentials.cookie(self.cookies.refresh.name, in: request).flatMap { $0.isEmpty ? nil : $0 } ?? (bearerIsRefresh ? bearer : nil)
        let accessToken = (bearerIsRefresh ? nil : bearer) ?? Credentials.cookie(self.cookies.locations.accessCookieName, in: request)
        let tokens = [refreshToken, accessToken].map { token in
            token.flatMap { $0.utf8.count <= Credentials.maximumAuthorizationBytes ? $0 : nil } ?? ""
        }
        _ = try await self.sessions.end(
            refreshToken: tokens[0],
            accessToken: tokens[1],
            client: self.limits.client(request, context),
            context: context
        )
        var headers = HTTPFields()
        self.cookies.clear(self.cookieSelection, in: &headers)
        headers[.cacheControl] = "no-store"
        return JSONBody.response(.ok, #"{"logout":"success","ok":true}"#, headers: headers)
    }

    /// The access token from the header or the cookie → `{id, email, username, is_staff, is_superuser}`.
    func me(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let token = try Credentials.accessToken(request, locations: self.accessTokenLocations)
        let caller = try await self.authenticator.tokenPrincipal(token, context)
        try Requirement.scope(Scope.profileRead).check(caller)
        var body = ByteBuffer()
        body.writeString(#"{"id":\#(caller.user.id),"email":"#)
        body.writeJSONString(caller.user.email)
        body.writeString(#","username":"#)
        body.writeJSONString(caller.user.username)
        body.writeString(#","is_staff":\#(Self.isStaff(caller.user)),"is_superuser":\#(caller.user.role == Role.superAdmin.rawValue)}"#)
        var headers = HTTPFields()
        RateLimits.apply(caller.rateLimit, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    /// The library's staff flag: administrators.
    static func isStaff(_ user: WireUser) -> Bool {
        (Role(rawValue: user.role) ?? .user) >= .admin
    }

    /// `{access_token, refresh_token}`, and with `setCookies` the access and refresh cookies.
    func tokenResponse(_ pair: WireTokenPair, rateLimit: WireRateLimitDecision?, setCookies: Bool) -> Response {
        var body = ByteBuffer()
        body.writeString(#"{"access_token":"#)
        body.writeJSONString(pair.accessToken)
        body.writeString(#","refresh_token":"#)
        body.writeJSONString(pair.refreshToken)
        body.writeString("}")
        var headers = HTTPFields()
        if setCookies { self.cookies.set(pair, self.cookieSelection, in: &headers) }
        headers[.cacheControl] = "no-store"
        RateLimits.apply(rateLimit, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    struct RegisterBody: Decodable {
        var email: Text?
        var username: Text?
        var password: Text?
    }

    struct LoginBody: Decodable {
        var usernameOrEmail: Text?
        var password: Text?

        enum CodingKeys: String, CodingKey {
            case usernameOrEmail = "username_or_email"
            case password
        }
    }
}
