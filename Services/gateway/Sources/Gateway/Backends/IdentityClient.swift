import NIOCore
public import WireProtocol
import WireTransport

/// The gateway's calls to identity: one method per operation, over the balancing pool (or whatever ``BackendTransport`` it is given).
public struct IdentityClient: Sendable {
    let pool: any BackendTransport

    public init(pool: any BackendTransport) {
        self.pool = pool
    }

    public func register(_ request: WireRegisterRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.register, request, as: WireUser.self, requestID: requestID)
    }

    public func verifyCredentials(_ request: WireVerifyCredentialsRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.verifyCredentials, request, as: WireUser.self, requestID: requestID)
    }

    /// The key a login's attempts are counted under (`u:<id>` for an account).
    public func resolveLogin(_ login: String, requestID: String) async throws -> String {
        var request = WireResolveLoginRequest()
        request.login = login
        return try await self.pool.request(.resolveLogin, request, as: WireResolvedLogin.self, requestID: requestID, idempotent: true).account
    }

    /// The user `id`; an inactive one only when `includeInactive` (else accountInactive).
    public func user(id: Int64, includeInactive: Bool = false, requestID: String) async throws -> WireUser {
        var request = WireGetUserRequest()
        request.id = id
        request.includeInactive = includeInactive
        return try await self.pool.request(.getUser, request, as: WireUser.self, requestID: requestID, idempotent: true)
    }

    public func changePassword(_ request: WireChangePasswordRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.changePassword, request, as: WireUser.self, requestID: requestID)
    }

    public func updateProfile(_ request: WireUpdateProfileRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.updateProfile, request, as: WireUser.self, requestID: requestID)
    }

    /// Answered at once whatever the address; the message, if any, is sent afterwards.
    public func requestAccountChallenge(_ request: WireAccountChallengeRequest, requestID: String) async throws {
        _ = try await self.pool.request(.requestAccountChallenge, request, as: WireEmpty.self, requestID: requestID)
    }

    public func resetPassword(_ request: WireResetPasswordRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.resetPassword, request, as: WireUser.self, requestID: requestID)
    }

    public func verifyEmail(_ request: WireVerifyEmailRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.verifyEmail, request, as: WireUser.self, requestID: requestID)
    }

    public func enrollTOTP(_ request: WireEnrollTotpRequest, requestID: String) async throws -> WireTotpEnrollment {
        try await self.pool.request(.enrollTOTP, request, as: WireTotpEnrollment.self, requestID: requestID)
    }

    public func confirmTOTP(_ request: WireConfirmTotpRequest, requestID: String) async throws -> WireRecoveryCodes {
        try await self.pool.request(.confirmTOTP, request, as: WireRecoveryCodes.self, requestID: requestID)
    }

    public func regenerateRecoveryCodes(_ request: WireRegenerateRecoveryCodesRequest, requestID: String) async throws -> WireRecoveryCodes {
        try await self.pool.request(.regenerateRecoveryCodes, request, as: WireRecoveryCodes.self, requestID: requestID)
    }

    public func disableTOTP(_ request: WireDisableTotpRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.disableTOTP, request, as: WireUser.self, requestID: requestID)
    }

    public func resetMFA(_ request: WireResetMfaRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.resetMFA, request, as: WireUser.self, requestID: requestID)
    }

    public func completeMFALogin(_ request: WireCompleteMfaLoginRequest, requestID: String) async throws -> WireMfaLogin {
        try await self.pool.request(.completeMFALogin, request, as: WireMfaLogin.self, requestID: requestID)
    }

    public func endAllSessions(_ request: WireEndAllSessionsRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.endAllSessions, request, as: WireUser.self, requestID: requestID)
    }

    public func deactivateAccount(_ request: WireDeactivateAccountRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.deactivateAccount, request, as: WireUser.self, requestID: requestID)
    }

    public func listUsers(skip: Int64, limit: Int32, requestID: String) async throws -> WireUserList {
        var request = WireListUsersRequest()
        request.skip = skip
        request.limit = limit
        return try await self.pool.request(.listUsers, request, as: WireUserList.self, requestID: requestID, idempotent: true)
    }

    public func changeRole(_ request: WireChangeRoleRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.changeRole, request, as: WireUser.self, requestID: requestID)
    }

    public func setTier(_ request: WireSetTierRequest, requestID: String) async throws -> WireUser {
        try await self.pool.request(.setTier, request, as: WireUser.self, requestID: requestID, idempotent: true)
    }

    /// Revocations of everything the token service has not confirmed yet (a page, oldest first).
    public func pendingRevocations(requestID: String) async throws -> [WirePendingRevocation] {
        try await self.pool.request(.pendingRevocations, WireEmpty(), as: WirePendingRevocations.self, requestID: requestID, idempotent: true)
            .revocations
    }

    public func confirmRevocation(userID: Int64, validAfterMs: Int64, requestID: String) async throws {
        var request = WirePendingRevocation()
        request.userID = userID
        request.tokensValidAfterMs = validAfterMs
        _ = try await self.pool.request(.confirmRevocation, request, as: WireEmpty.self, requestID: requestID, idempotent: true)
    }

    public func dashboard(requestID: String) async throws -> WireDashboardReply {
        try await self.pool.request(.dashboard, WireEmpty(), as: WireDashboardReply.self, requestID: requestID, idempotent: true)
    }

    public func createAPIKey(_ request: WireCreateApiKeyRequest, requestID: String) async throws -> WireCreatedApiKey {
        try await self.pool.request(.createAPIKey, request, as: WireCreatedApiKey.self, requestID: requestID)
    }

    public func revokeAPIKeys(_ request: WireRevokeApiKeysRequest, requestID: String) async throws -> WireRevokeApiKeysReply {
        try await self.pool.request(.revokeAPIKeys, request, as: WireRevokeApiKeysReply.self, requestID: requestID, idempotent: true)
    }

    public func authenticateAPIKey(_ key: String, requestID: String) async throws -> WireApiKeyPrincipal {
        var request = WireAuthenticateApiKeyRequest()
        request.apiKey = key
        return try await self.pool.request(.authenticateAPIKey, request, as: WireApiKeyPrincipal.self, requestID: requestID, idempotent: true)
    }

    public func recordAudit(_ events: [WireAuditEventRecord]) async throws {
        var batch = WireAuditEventBatch()
        batch.events = events
        _ = try await self.pool.request(.recordAudit, batch, as: WireEmpty.self, requestID: "")
    }
}
