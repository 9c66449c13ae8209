import NIOCore
public import WireProtocol
import WireTransport

/// The gateway's calls to token: one method per operation, over the balancing pool (or whatever ``BackendTransport`` it is given).
public struct TokenClient: Sendable {
    let pool: any BackendTransport

    public init(pool: any BackendTransport) {
        self.pool = pool
    }

    public func issue(_ request: WireIssueTokensRequest, requestID: String) async throws -> WireTokenPair {
        try await self.pool.request(.issueTokens, request, as: WireTokenPair.self, requestID: requestID)
    }

    /// Not idempotent: a rotation lost with a broken connection must not be replayed elsewhere,
    /// or the second attempt would look like reuse.
    public func refresh(_ request: WireRefreshTokensRequest, requestID: String) async throws -> WireTokenPair {
        try await self.pool.request(.refreshTokens, request, as: WireTokenPair.self, requestID: requestID)
    }

    /// Verifies the token; with `limit`, also counts the request against the user's rate limit.
    public func verify(accessToken: String, limit: WireUserRateLimit? = nil, requestID: String) async throws -> WireAccessClaims {
        var request = WireVerifyAccessTokenRequest()
        request.accessToken = accessToken
        if let limit { request.limit = limit }
        return try await self.pool.request(.verifyAccessToken, request, as: WireAccessClaims.self, requestID: requestID, idempotent: true)
    }

    public func checkRateLimit(_ request: WireRateLimitRequest, requestID: String) async throws -> WireRateLimitReply {
        try await self.pool.request(.checkRateLimit, request, as: WireRateLimitReply.self, requestID: requestID, idempotent: true)
    }

    public func revoke(_ request: WireRevokeSessionRequest, requestID: String) async throws -> WireRevokeSessionReply {
        try await self.pool.request(.revokeSession, request, as: WireRevokeSessionReply.self, requestID: requestID, idempotent: true)
    }

    /// Ends every session and access token of the user started or issued before `validAfterMs`.
    public func revokeUser(id: Int64, validAfterMs: Int64, requestID: String) async throws -> WireRevokeUserReply {
        var request = WireRevokeUserRequest()
        request.userID = id
        request.validAfterMs = validAfterMs
        return try await self.pool.request(.revokeUser, request, as: WireRevokeUserReply.self, requestID: requestID, idempotent: true)
    }

    public func setSessionTier(userID: Int64, tier: String, requestID: String) async throws -> WireSetSessionTierReply {
        var request = WireSetSessionTierRequest()
        request.userID = userID
        request.tier = tier
        return try await self.pool.request(.setSessionTier, request, as: WireSetSessionTierReply.self, requestID: requestID, idempotent: true)
    }

    /// The user's live sessions, newest first.
    /// A page of the user's sessions: up to `limit` after `cursor` (empty: from the newest).
    public func sessions(userID: Int64, limit: Int, cursor: String, requestID: String) async throws -> WireListSessionsReply {
        var request = WireListSessionsRequest()
        request.userID = userID
        request.limit = Int32(clamping: limit)
        request.cursor = cursor
        return try await self.pool.request(.listSessions, request, as: WireListSessionsReply.self, requestID: requestID, idempotent: true)
    }

    /// Ends one session of the user; whether it was live.
    public func endSession(userID: Int64, sessionID: String, requestID: String) async throws -> Bool {
        var request = WireEndSessionRequest()
        request.userID = userID
        request.sessionID = sessionID
        return try await self.pool.request(.endSession, request, as: WireEndSessionReply.self, requestID: requestID, idempotent: true).ended
    }

    /// Ends every session of the user but `keeping` (all when `nil`); how many ended.
    public func endSessions(userID: Int64, keeping: String?, requestID: String) async throws -> Int {
        var request = WireEndOtherSessionsRequest()
        request.userID = userID
        request.keepSessionID = keeping ?? ""
        let reply = try await self.pool.request(
            .endOtherSessions,
            request,
            as: WireEndOtherSessionsReply.self,
            requestID: requestID,
            idempotent: true
        )
        return Int(reply.sessionsEnded)
    }

    /// The JWKS and the claims outside verifiers check.
    public func publicKeys(requestID: String) async throws -> WirePublicKeysReply {
        try await self.pool.request(.publicKeys, WireEmpty(), as: WirePublicKeysReply.self, requestID: requestID, idempotent: true)
    }
}
