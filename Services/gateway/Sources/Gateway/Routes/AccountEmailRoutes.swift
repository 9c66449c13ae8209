import HTTPTypes
import Hummingbird
import NIOCore
import ServiceRuntime
import WireProtocol

/// The account's email, as fastapi-users' routes have it (paths, bodies, error codes): asking for
/// a reset or verification message, and using its link token or its code.
///
/// Asking answers 202 at once and the same for every address (identity does the work
/// afterwards); it counts against `RATE_LIMIT_EMAIL` per client address. Using a token or a code
/// counts against the login limit per address, as a password guess does.
struct AccountEmailRoutes {
    let identity: IdentityClient
    let sessions: Sessions
    let limits: RateLimits

    func register(in routes: RouteRegistrar) {
        routes.on(.post, "/api/v1/auth/forgot-password") { request, context in
            try await self.requestMessage(.resetPassword, request, context)
        }
        routes.on(.post, "/api/v1/auth/request-verify-token") { request, context in
            try await self.requestMessage(.verifyEmail, request, context)
        }
        routes.on(.post, "/api/v1/auth/reset-password") { request, context in try await self.resetPassword(request, context) }
        routes.on(.post, "/api/v1/auth/verify") { request, context in try await self.verify(request, context) }
    }

    enum Purpose: String {
        case resetPassword = "reset_password"
        case verifyEmail = "verify_email"
    }

    /// `{email}` → 202 `null`, whoever has the address.
    func requestMessage(_ purpose: Purpose, _ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(EmailBody.self, request, context: context)
        var message = WireAccountChallengeRequest()
        message.email = try Field.required(body.email, "email")
        message.purpose = purpose.rawValue
        message.client = self.limits.client(request, context)
        let decision = try await self.limits.check(
            [self.limits.rule(RateLimits.addressKey("email", context.clientAddress), self.limits.configuration.email)],
            failClosed: true,
            context: context
        )
        try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.requestAccountChallenge(message, requestID: context.requestID) }
        }
        var headers = HTTPFields()
        RateLimits.apply(decision, to: &headers)
        return JSONBody.response(.accepted, "null", headers: headers)
    }

    /// `{token, password}` or `{email, code, password}` → 200 `null`. Every session, access token
    /// and API key of the user ends; nobody is logged in.
    func resetPassword(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(ChallengeBody.self, request, context: context)
        var message = WireResetPasswordRequest()
        try Self.fill(body, token: &message.token, email: &message.email, code: &message.code)
        message.password = try Field.required(body.password, "password")
        message.factor = SecondFactorFields.factor(code: body.mfaCode, recoveryCode: body.recoveryCode)
        message.client = self.limits.client(request, context)
        let decision = try await self.checkGuess(context)
        let user: WireUser
        do {
            user = try await RateLimits.reporting(decision) {
                try await BackendCall.run("identity") { try await self.identity.resetPassword(message, requestID: context.requestID) }
            }
        } catch let error as APIError where error.status == .unprocessableContent && error.detail.hasPrefix("password: ") {
            // fastapi-users' shape for a password the policy refuses.
            var body = ByteBuffer()
            body.writeString(#"{"detail":{"code":"RESET_PASSWORD_INVALID_PASSWORD","reason":"#)
            body.writeJSONString(String(error.detail.dropFirst("password: ".count)))
            body.writeString("}}")
            return JSONBody.response(.badRequest, body, headers: error.headers)
        }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, "null", headers: [.cacheControl: "no-store"])
    }

    /// `{token}` or `{email, code}` → 200 with the user, verified.
    func verify(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(ChallengeBody.self, request, context: context)
        var message = WireVerifyEmailRequest()
        try Self.fill(body, token: &message.token, email: &message.email, code: &message.code)
        message.client = self.limits.client(request, context)
        let decision = try await self.checkGuess(context)
        let user = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.verifyEmail(message, requestID: context.requestID) }
        }
        var headers = HTTPFields()
        RateLimits.apply(decision, to: &headers)
        return JSONBody.response(.ok, UserJSON.body(user), headers: headers)
    }

    /// A token, or an address and a code: one or the other is required (the token wins).
    static func fill(_ body: ChallengeBody, token: inout String, email: inout String, code: inout String) throws {
        if let value = body.token?.value, !value.isEmpty {
            token = value
        } else if body.email != nil || body.code != nil {
            email = try Field.required(body.email, "email")
            code = try Field.required(body.code, "code")
        } else {
            throw APIError(.unprocessableContent, "token: field required")
        }
    }

    /// A code or a token tried counts as a login attempt from the address (closed when the
    /// limits cannot be checked).
    func checkGuess(_ context: GatewayRequestContext) async throws -> WireRateLimitDecision? {
        try await self.limits.check(
            [self.limits.rule(RateLimits.addressKey("challenge", context.clientAddress), self.limits.configuration.login)],
            failClosed: true,
            context: context
        )
    }

    struct EmailBody: Decodable {
        var email: Text?
    }

    struct ChallengeBody: Decodable {
        var token: Text?
        var email: Text?
        var code: Text?
        var password: Text?
        /// The second factor's code, where one guards the account (`code` is the message's).
        var mfaCode: Text?
        var recoveryCode: Text?

        enum CodingKeys: String, CodingKey {
            case token, email, code, password
            case mfaCode = "mfa_code"
            case recoveryCode = "recovery_code"
        }
    }
}
