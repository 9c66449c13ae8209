import AccessControl
import HTTPTypes
import Hummingbird
import WireProtocol

/// Seed 001's profile routes: update and soft-delete the current user (`GET /users/me` is
/// served with `about_me`).
struct ProfileRoutes {
    let identity: IdentityClient
    let sessions: Sessions
    let authenticator: Authenticator
    let limits: RateLimits

    func register(in routes: RouteRegistrar) {
        routes.on(.put, "/api/v1/users/me") { request, context in try await self.update(request, context) }
        routes.on(.delete, "/api/v1/users/me") { request, context in try await self.delete(request, context) }
    }

    /// JSON `{full_name?, email?, current_password?}`: the fields given change (email taken →
    /// 409). A new email needs `current_password` (missing → 422, wrong → 400, counted like a
    /// failed login, so rate limited as one) and is no longer verified.
    func update(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(ProfileBody.self, request, context: context)
        var update = WireUpdateProfileRequest()
        update.userID = caller.userID
        update.client = self.limits.client(request, context)
        if let fullName = body.fullName { update.fullName = fullName.value }
        if let email = body.email { update.email = email.value }
        update.factor = SecondFactorFields.factor(code: body.code, recoveryCode: body.recoveryCode)
        if let password = body.currentPassword?.value {
            update.currentPassword = password
            _ = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        }
        let user = try await BackendCall.run("identity") { try await self.identity.updateProfile(update, requestID: context.requestID) }
        var headers = HTTPFields()
        RateLimits.apply(caller.rateLimit, to: &headers)
        return JSONBody.response(.ok, UserJSON.body(user), headers: headers)
    }

    /// Soft delete, with JSON `{current_password}` (missing → 422, wrong → 400, counted like a
    /// failed login): the account is inactive from now on, every token and API key of it dies.
    func delete(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let body = try await RequestBody.json(PasswordConfirmationBody.self, request, context: context)
        var deactivate = WireDeactivateAccountRequest()
        deactivate.userID = caller.userID
        deactivate.currentPassword = try Field.required(body.currentPassword, "current_password")
        deactivate.factor = SecondFactorFields.factor(code: body.code, recoveryCode: body.recoveryCode)
        deactivate.client = self.limits.client(request, context)
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let user = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.deactivateAccount(deactivate, requestID: context.requestID) }
        }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, #"{"detail":"Account deactivated successfully"}"#)
    }

    struct PasswordConfirmationBody: Decodable {
        var currentPassword: Text?
        var code: Text?
        var recoveryCode: Text?

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case code
            case recoveryCode = "recovery_code"
        }
    }

    struct ProfileBody: Decodable {
        var fullName: Text?
        var email: Text?
        var currentPassword: Text?
        var code: Text?
        var recoveryCode: Text?

        enum CodingKeys: String, CodingKey {
            case fullName = "full_name"
            case email, code
            case currentPassword = "current_password"
            case recoveryCode = "recovery_code"
        }
    }
}
