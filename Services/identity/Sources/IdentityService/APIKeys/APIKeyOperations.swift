import WireProtocol
import WireTransport

/// API keys: created for a signed-in user (shown once), checked on every request that presents
/// one (a keyed hash and one indexed query, no Argon2), revoked one or all at a time.
extension IdentityOperations {
    /// Live keys one user may hold.
    static let maximumLiveKeys = 20

    func registerAPIKeyOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.createAPIKey) { (request: WireCreateApiKeyRequest, context) in try await self.createAPIKey(request, context) }
        dispatcher.on(.revokeAPIKeys) { (request: WireRevokeApiKeysRequest, context) in try await self.revokeAPIKeys(request, context) }
        dispatcher.on(.authenticateAPIKey) { (request: WireAuthenticateApiKeyRequest, _) in try await self.authenticateAPIKey(request) }
    }

    /// The scopes are the gateway's to choose (those the user's role allows); here they only
    /// have to look like scope names.
    func createAPIKey(_ request: WireCreateApiKeyRequest, _ context: WireRequest) async throws -> WireCreatedApiKey {
        let name = request.hasName ? request.name.trimmingCharacters(in: " \t\r\n") : nil
        if let name, name.count > 100 { throw IdentityError.invalidField(field: "name", reason: "must be at most 100 characters") }
        guard request.scopes.count <= 32, request.scopes.allSatisfy(Self.isScopeName) else {
            throw IdentityError.invalidField(field: "scopes", reason: "must be scope names")
        }
        guard request.expiresInSeconds >= 0 else { throw IdentityError.invalidField(field: "expires_in_days", reason: "must be positive") }
        guard let owner = try await self.users.find(id: request.userID), owner.canLogIn else { throw IdentityError.accountInactive }
        // A key outlives logout and every session end: only the password, typed again, makes one.
        try await self.confirmPassword(request.currentPassword, of: owner, request.client, context)
        try await self.requireSecondFactorIfEnabled(request.factor, of: owner, request.client, context)
        let key = APIKey.generate()
        let record = try await self.apiKeys.create(
            userID: owner.id,
            prefix: key.prefix,
            digest: key.digest(secret: self.apiKeySecret),
            name: name.flatMap { $0.isEmpty ? nil : $0 },
            scopes: request.scopes,
            expiresInSeconds: request.expiresInSeconds > 0 ? request.expiresInSeconds : nil,
            maximumLive: Self.maximumLiveKeys
        )
        self.record(.apiKeyGenerated, user: owner, request.client, context, detail: ["key_prefix": key.prefix])
        var created = WireCreatedApiKey()
        created.apiKey = key.value
        created.key = record.wire
        return created
    }

    /// The key given (it must be the user's), or every live key of the user.
    func revokeAPIKeys(_ request: WireRevokeApiKeysRequest, _ context: WireRequest) async throws -> WireRevokeApiKeysReply {
        var revoked = 0
        var prefixes: [String] = []
        if request.apiKey.isEmpty {
            revoked = try await self.apiKeys.revokeAll(userID: request.userID)
        } else {
            guard let key = APIKey(parsing: request.apiKey), let found = try await self.apiKeys.find(prefix: key.prefix),
                found.key.userID == request.userID, key.matches(found.key.digest, secret: self.apiKeySecret)
            else { throw IdentityError.noAPIKey }
            revoked = try await self.apiKeys.revoke(id: found.key.id, userID: request.userID) ? 1 : 0
            prefixes = [key.prefix]
        }
        guard revoked > 0 else { throw IdentityError.noAPIKey }
        let owner = try await self.users.find(id: request.userID)
        var detail = ["count": String(revoked)]
        if let prefix = prefixes.first { detail["key_prefix"] = prefix }
        self.record(.apiKeyRevoked, user: owner, request.client, context, detail: detail)
        var reply = WireRevokeApiKeysReply()
        reply.revoked = Int32(revoked)
        return reply
    }

    /// The user a live key acts for, and the key's scopes. Unknown, revoked, expired keys and
    /// keys of inactive users are all "invalid API key".
    func authenticateAPIKey(_ request: WireAuthenticateApiKeyRequest) async throws -> WireApiKeyPrincipal {
        guard let key = APIKey(parsing: request.apiKey), let found = try await self.apiKeys.find(prefix: key.prefix),
            key.matches(found.key.digest, secret: self.apiKeySecret), !found.key.isDead, found.owner.canLogIn
        else { throw IdentityError.invalidAPIKey }
        // The last-use time is for people, a minute's precision is plenty: not a write per request.
        if found.key.lastUsedAt.map({ self.now() - $0 >= 60 }) ?? true {
            try? await self.apiKeys.recordUse(id: found.key.id)
        }
        var principal = WireApiKeyPrincipal()
        principal.user = found.owner.wire
        principal.keyID = found.key.id
        principal.scopes = found.key.scopes
        return principal
    }

    static func isScopeName(_ scope: String) -> Bool {
        (1...64).contains(scope.utf8.count)
            && scope.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "_") }
    }
}

extension APIKeyRecord {
    var wire: WireApiKey {
        var key = WireApiKey()
        key.id = self.id
        key.prefix = self.prefix
        if let name = self.name { key.name = name }
        key.scopes = self.scopes
        key.createdAt = self.createdAt
        if let expiresAt = self.expiresAt { key.expiresAt = expiresAt }
        return key
    }
}
