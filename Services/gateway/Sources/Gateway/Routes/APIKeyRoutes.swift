import ServiceRuntime
import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Seed 001's API keys: generate (shown once) and revoke.
struct APIKeyRoutes {
    let identity: IdentityClient
    let authenticator: Authenticator
    let limits: RateLimits

    /// The longest lifetime a key may be given.
    static let maximumLifetimeDays = 3650

    func register(in routes: RouteRegistrar) {
        routes.on(.post, "/api/v1/api-keys/generate") { request, context in try await self.generate(request, context) }
        routes.on(.delete, "/api/v1/api-keys/revoke") { request, context in try await self.revoke(request, context) }
    }

    /// Bearer only (a key cannot mint keys). JSON `{current_password, name?, scopes?,
    /// expires_in_days?}`: the password typed again (missing → 422, wrong → 400, counted like a
    /// failed login), since a key outlives the session that made it. Scopes (a list, or one
    /// space-separated string) must be ones the caller's token carries and its role allows; none
    /// asked means all of those (a key never reaches further than the token that made it).
    func generate(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        let options = try await RequestBody.json(CreateKeyBody.self, request, context: context)
        var create = WireCreateApiKeyRequest()
        create.userID = caller.userID
        create.currentPassword = try Field.required(options.currentPassword, "current_password")
        create.factor = SecondFactorFields.factor(code: options.code, recoveryCode: options.recoveryCode)
        create.client = self.limits.client(request, context)
        if let name = options.name { create.name = name.value }
        let allowed = caller.role.allowedScopes.filter(caller.scopes.contains)
        if let scopes = options.scopes?.values, !scopes.isEmpty {
            if let refused = scopes.first(where: { !allowed.contains($0) }) {
                throw APIError(.forbidden, "Scope not allowed for your role or token: \(refused.prefix(64))")
            }
            create.scopes = allowed.filter(Set(scopes).contains)
        } else {
            create.scopes = allowed
        }
        if let days = options.expiresInDays?.value {
            guard (1...Self.maximumLifetimeDays).contains(days) else {
                throw APIError(.unprocessableContent, "expires_in_days: must be between 1 and \(Self.maximumLifetimeDays)")
            }
            create.expiresInSeconds = Int64(days) * 86_400
        }
        let decision = try await self.limits.checkPasswordConfirmation(userID: caller.userID, context: context)
        let created = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.createAPIKey(create, requestID: context.requestID) }
        }
        var body = ByteBuffer()
        body.writeString(#"{"api_key":"#)
        body.writeJSONString(created.apiKey)
        body.writeString(#","id":"#)
        body.writeString(String(created.key.id))
        body.writeString(#","prefix":"#)
        body.writeJSONString(created.key.prefix)
        body.writeString(#","name":"#)
        if created.key.hasName { body.writeJSONString(created.key.name) } else { body.writeString("null") }
        body.writeString(#","scopes":["#)
        for (index, scope) in created.key.scopes.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeJSONString(scope)
        }
        body.writeString(#"],"created_at":"#)
        body.writeJSONString(created.key.createdAt)
        body.writeString(#","expires_at":"#)
        if created.key.hasExpiresAt { body.writeJSONString(created.key.expiresAt) } else { body.writeString("null") }
        body.writeString(#","message":"Store this key securely. It will not be shown again."}"#)
        return JSONBody.response(.created, body, headers: [.cacheControl: "no-store"])
    }

    /// With `X-API-Key`: that key. With a bearer token: every key of the user. None → 404.
    func revoke(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, acceptingAPIKey: true)
        var revoke = WireRevokeApiKeysRequest()
        revoke.userID = caller.userID
        revoke.client = self.limits.client(request, context)
        if case .apiKey(let key, _) = caller.credential { revoke.apiKey = key }
        let reply = try await BackendCall.run("identity") { try await self.identity.revokeAPIKeys(revoke, requestID: context.requestID) }
        let noun = reply.revoked == 1 ? "API key" : "\(reply.revoked) API keys"
        return JSONBody.response(.ok, #"{"detail":"\#(noun) revoked successfully"}"#)
    }

    struct CreateKeyBody: Decodable {
        var currentPassword: Text?
        var name: Text?
        var scopes: Words?
        var expiresInDays: WholeNumber?
        var code: Text?
        var recoveryCode: Text?

        enum CodingKeys: String, CodingKey {
            case name, scopes, code
            case currentPassword = "current_password"
            case expiresInDays = "expires_in_days"
            case recoveryCode = "recovery_code"
        }
    }
}
