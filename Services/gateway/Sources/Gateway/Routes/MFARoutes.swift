import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceRuntime
import WireProtocol

/// The second factor (TOTP): enrolment, confirmation, recovery codes and turning it off for the
/// signed-in user, and the second step of a login that answered `mfa_required`.
///
/// Every code or password tried here counts against the login limit (per account, or per
/// address for the second step); identity also locks codes after ten wrong ones.
struct MFARoutes {
    let identity: IdentityClient
    let sessions: Sessions
    let authenticator: Authenticator
    let limits: RateLimits
    /// How each login route answers a session it started: the second step answers as the first
    /// would have.
    let answer: @Sendable (LoginRoute, WireTokenPair, WireRateLimitDecision?) -> Response

    func register(in routes: RouteRegistrar) {
        routes.on(.post, "/api/v1/auth/mfa/totp/enroll") { request, context in try await self.enroll(request, context) }
        routes.on(.post, "/api/v1/auth/mfa/totp/confirm") { request, context in try await self.confirm(request, context) }
        routes.on(.post, "/api/v1/auth/mfa/recovery-codes") { request, context in try await self.recoveryCodes(request, context) }
        routes.on(.delete, "/api/v1/auth/mfa/totp") { request, context in try await self.disable(request, context) }
        routes.on(.post, "/api/v1/auth/mfa/verify") { request, context in try await self.verify(request, context) }
    }

    /// `{current_password}` → `{secret, otpauth_uri}`: a pending secret until confirmed.
    func enroll(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(FactorBody.self, request, context: context)
        var message = WireEnrollTotpRequest()
        message.userID = caller.userID
        message.currentPassword = try Field.required(body.currentPassword, "current_password")
        message.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let enrollment = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.enrollTOTP(message, requestID: context.requestID) }
        }
        var answer = ByteBuffer()
        answer.writeString(#"{"secret":"#)
        answer.writeJSONString(enrollment.secret)
        answer.writeString(#","otpauth_uri":"#)
        answer.writeJSONString(enrollment.otpauthUri)
        answer.writeString("}")
        return Self.private(answer, decision)
    }

    /// `{code}` → `{recovery_codes}`, shown once: the factor is on.
    func confirm(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(FactorBody.self, request, context: context)
        var message = WireConfirmTotpRequest()
        message.userID = caller.userID
        message.code = try Field.required(body.code, "code")
        message.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let codes = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.confirmTOTP(message, requestID: context.requestID) }
        }
        return Self.private(Self.recoveryCodesBody(codes), decision)
    }

    /// `{current_password, code}` (or `recovery_code`) → a new set of recovery codes.
    func recoveryCodes(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(FactorBody.self, request, context: context)
        var message = WireRegenerateRecoveryCodesRequest()
        message.userID = caller.userID
        message.currentPassword = try Field.required(body.currentPassword, "current_password")
        message.factor = try body.secondFactor()
        message.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let codes = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.regenerateRecoveryCodes(message, requestID: context.requestID) }
        }
        return Self.private(Self.recoveryCodesBody(codes), decision)
    }

    /// `{current_password, code}` (or `recovery_code`) → the user, without a factor.
    func disable(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(FactorBody.self, request, context: context)
        var message = WireDisableTotpRequest()
        message.userID = caller.userID
        message.currentPassword = try Field.required(body.currentPassword, "current_password")
        message.factor = try body.secondFactor()
        message.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let user = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.disableTOTP(message, requestID: context.requestID) }
        }
        return Self.private(UserJSON.body(user), decision)
    }

    /// `{mfa_token, code}` or `{mfa_token, recovery_code}` → what the login route would have
    /// answered (tokens, and cookies where that route sets them).
    func verify(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let body = try await RequestBody.json(FactorBody.self, request, context: context)
        var message = WireCompleteMfaLoginRequest()
        message.mfaToken = try Field.required(body.mfaToken, "mfa_token")
        message.factor = try body.secondFactor()
        message.client = self.limits.client(request, context)
        let (pair, route, decision) = try await self.sessions.completeMFA(message, context: context)
        return self.answer(route, pair, decision)
    }

    static func recoveryCodesBody(_ codes: WireRecoveryCodes) -> ByteBuffer {
        var body = ByteBuffer()
        body.writeString(#"{"recovery_codes":["#)
        for (index, code) in codes.codes.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeJSONString(code)
        }
        body.writeString("]}")
        return body
    }

    /// A 200 that holds a secret: never cached.
    static func `private`(_ body: ByteBuffer, _ decision: WireRateLimitDecision?) -> Response {
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        RateLimits.apply(decision, to: &headers)
        return JSONBody.response(.ok, body, headers: headers)
    }

    struct FactorBody: Decodable {
        var currentPassword: Text?
        var code: Text?
        var recoveryCode: Text?
        var mfaToken: Text?

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case code
            case recoveryCode = "recovery_code"
            case mfaToken = "mfa_token"
        }

        /// A code or a recovery code: one is required (the code wins).
        func secondFactor() throws -> WireSecondFactor {
            let factor = SecondFactorFields.factor(code: self.code, recoveryCode: self.recoveryCode)
            guard !factor.code.isEmpty || !factor.recoveryCode.isEmpty else {
                throw APIError(.unprocessableContent, "code: field required (or recovery_code)")
            }
            return factor
        }
    }
}
