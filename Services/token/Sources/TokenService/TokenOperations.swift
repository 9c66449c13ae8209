import Crypto
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import Metrics
public import ServiceRuntime
public import WireProtocol
public import WireTransport

/// The token service's operations: issue a session's tokens, rotate, verify, revoke.
public struct TokenOperations: Sendable {
    public let keyRing: KeyRing
    public let store: any RefreshTokenStore
    public let denylist: any AccessTokenDenylist
    /// Shared rate limits; `nil` where the token service runs without them (tests).
    public let rateLimiter: RateLimiter?
    public let verifier: AccessTokenVerifier
    public let issuer: String
    public let audience: String
    /// Seconds.
    public let accessLifetime: Int
    public let refreshLifetime: Int
    /// Seconds a session may last from its login, however often it refreshes.
    public let absoluteLifetime: Int
    public let reuseGrace: Int
    /// Seconds a copy of the JWKS may be kept (see ``WirePublicKeysReply/maxAgeSeconds``).
    public let publicKeysMaxAge: Int
    public let now: @Sendable () -> Double
    /// Keys the sessions' CSRF tokens (derived from `REFRESH_SECRET`); `nil` issues none.
    let csrfKey: SymmetricKey?
    /// One warning per interval while Redis is down, not one per request.
    let uncheckedWarnings = LogThrottle(intervalSeconds: 10)
    /// Refresh tokens presented, by outcome (`reused` is a detected theft).
    static let rotations = InstrumentCache { (outcome: String) in
        Counter(label: "refresh_rotations_total", dimensions: [("outcome", outcome)])
    }

    public init(
        keyRing: KeyRing,
        store: any RefreshTokenStore,
        denylist: any AccessTokenDenylist,
        issuer: String,
        audience: String,
        accessLifetime: Int,
        refreshLifetime: Int,
        absoluteLifetime: Int? = nil,
        reuseGrace: Int = 0,
        rateLimiter: RateLimiter? = nil,
        csrfSecret: String? = nil,
        publicKeysMaxAge: Int = 3600,
        now: @escaping @Sendable () -> Double = { WallClock.now() }
    ) {
        self.publicKeysMaxAge = publicKeysMaxAge
        self.csrfKey = csrfSecret.map { secret in
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array("csrf tokens".utf8), using: SymmetricKey(data: Array(secret.utf8))))
        }
        self.keyRing = keyRing
        self.store = store
        self.denylist = denylist
        self.rateLimiter = rateLimiter
        self.verifier = AccessTokenVerifier(keyRing: keyRing, denylist: denylist, issuer: issuer, audience: audience)
        self.issuer = issuer
        self.audience = audience
        self.accessLifetime = accessLifetime
        self.refreshLifetime = refreshLifetime
        self.absoluteLifetime = absoluteLifetime ?? refreshLifetime
        self.reuseGrace = reuseGrace
        self.now = now
    }

    /// Adds the handlers to `dispatcher`.
    public func register(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.issueTokens) { (request: WireIssueTokensRequest, _) in try await self.issue(request) }
        dispatcher.on(.refreshTokens) { (request: WireRefreshTokensRequest, context) in try await self.refresh(request, context) }
        dispatcher.on(.verifyAccessToken) { (request: WireVerifyAccessTokenRequest, context) in try await self.verify(request, context) }
        dispatcher.on(.checkRateLimit) { (request: WireRateLimitRequest, _) in try await self.checkRateLimit(request) }
        dispatcher.on(.revokeSession) { (request: WireRevokeSessionRequest, context) in try await self.revoke(request, context) }
        dispatcher.on(.revokeUser) { (request: WireRevokeUserRequest, context) in try await self.revokeUser(request, context) }
        dispatcher.on(.setSessionTier) { (request: WireSetSessionTierRequest, context) in try await self.setSessionTier(request, context) }
        dispatcher.on(.listSessions) { (request: WireListSessionsRequest, _) in try await self.listSessions(request) }
        dispatcher.on(.endSession) { (request: WireEndSessionRequest, context) in try await self.endSession(request, context) }
        dispatcher.on(.publicKeys) { (_: WireEmpty, _) in try self.publicKeys() }
        dispatcher.on(.endOtherSessions) { (request: WireEndOtherSessionsRequest, context) in try await self.endOtherSessions(request, context) }
    }

    public func issue(_ request: WireIssueTokensRequest) async throws -> WireTokenPair {
        let now = self.now()
        let grant = SessionGrant(
            userID: request.userID,
            username: request.username,
            role: request.role,
            scope: request.scope,
            tier: request.tier,
            amr: SessionGrant.amr(stored: Self.methods(request.amr).joined(separator: " ")),
            startedAt: now
        )
        let refresh = RefreshToken.make(userID: request.userID)
        let lifetime = min(self.refreshLifetime, self.absoluteLifetime)
        let evicted = try await self.store.startFamily(
            refresh,
            grant: grant,
            client: ClientDetails(ip: request.client.ip, userAgent: request.client.userAgent),
            now: now,
            lifetime: lifetime
        )
        var pair = try await self.pair(for: grant, refresh: refresh, refreshLifetime: lifetime, now: now)
        pair.sessionsEvicted = Int32(clamping: evicted)
        return pair
    }

    func refresh(_ request: WireRefreshTokensRequest, _ context: WireRequest) async throws -> WireTokenPair {
        let decision = try await self.admit(request.hasLimit ? request.limit : nil)
        var pair = try await self.rotate(request, context)
        if let decision { pair.rateLimit = decision }
        return pair
    }

    private func rotate(_ request: WireRefreshTokensRequest, _ context: WireRequest) async throws -> WireTokenPair {
        guard let presented = RefreshToken(parsing: request.refreshToken) else { throw TokenError.invalidRefreshToken }
        let next = RefreshToken.make(userID: presented.userID, familyID: presented.familyID)
        let now = self.now()
        let outcome = try await self.store.rotate(
            presented,
            next: next,
            now: now,
            lifetime: self.refreshLifetime,
            absoluteLifetime: self.absoluteLifetime,
            reuseGrace: self.reuseGrace
        )
        Self.rotations(outcome.metricsLabel).increment()
        switch outcome {
        case .rotated(let grant, let lifetime):
            return try await self.pair(for: grant, refresh: next, refreshLifetime: lifetime, now: now)
        case .replayed(let grant, let successor, let lifetime):
            context.logger.info("refresh token presented again within the grace: its successor answered again")
            var pair = try await self.pair(for: grant, refresh: successor, refreshLifetime: lifetime, now: now)
            pair.replayed = true
            return pair
        case .reused(let userID):
            context.logger.warning("refresh token reuse: session revoked", metadata: ["user_id": "\(userID)"])
            throw TokenError.refreshReused(userID: userID)
        case .invalid:
            throw TokenError.invalidRefreshToken
        }
    }

    func verify(_ request: WireVerifyAccessTokenRequest, _ context: WireRequest) async throws -> WireAccessClaims {
        var limit: (@Sendable (AccessTokenClaims) -> RateLimitRule?)?
        if request.hasLimit {
            let userLimit = request.limit
            limit = { claims in Self.rule(userLimit, role: claims.role, tier: claims.tier) }
        }
        let (claims, decision, checked) = try await self.verifier.verify(request.accessToken, now: self.now(), limit: limit)
        if !checked, let skipped = self.uncheckedWarnings.admit() {
            context.logger.warning(
                "redis unavailable: token accepted on its signature, revocation and rate limit not checked",
                metadata: ["similar_since_last_warning": "\(skipped)"]
            )
        }
        var wire = Self.wire(claims)
        wire.csrfToken = self.csrfToken(session: claims.sid)
        if let decision { wire.rateLimit = Self.wire(decision) }
        return wire
    }

    func checkRateLimit(_ request: WireRateLimitRequest) async throws -> WireRateLimitReply {
        guard let limiter = self.rateLimiter else { return WireRateLimitReply() }
        let rules = try request.rules.map(Self.rule)
        var reply = WireRateLimitReply()
        reply.decisions = try await limiter.check(rules, now: self.now()).map(Self.wire)
        return reply
    }

    /// Counts an operation against the limit its request carries (refresh, logout), before the
    /// operation does anything: the gateway's check and the work in one round trip.
    /// - Returns: the decision, for the `RateLimit-*` headers; `nil` when there was no limit.
    /// - Throws: ``TokenError/rateLimited(_:)`` when the limit refuses.
    func admit(_ limit: WireRateLimitRule?) async throws -> WireRateLimitDecision? {
        guard let limit, let limiter = self.rateLimiter else { return nil }
        guard let decision = try await limiter.check([Self.rule(limit)], now: self.now()).first else { return nil }
        guard decision.allowed else { throw TokenError.rateLimited(decision) }
        return Self.wire(decision)
    }

    /// A rule as the gateway sent it, checked: a malformed rule is refused, never skipped (a
    /// skipped rule would be a limit not enforced).
    static func rule(_ rule: WireRateLimitRule) throws -> RateLimitRule {
        guard rule.limit > 0, rule.periodSeconds > 0, rule.periodSeconds.isFinite, !rule.key.isEmpty else { throw TokenError.invalidArgument }
        return RateLimitRule(key: Self.bucketName(rule.key), limit: Int(rule.limit), periodSeconds: rule.periodSeconds)
    }

    /// A rule's key as its bucket is named: long keys (a long login typed by a client) by their
    /// digest, so any key stays short and none is ever dropped.
    static func bucketName(_ key: String) -> String {
        guard key.utf8.count > 200 else { return key }
        return "d:" + Hex.encode(SHA256.hash(data: Array(key.utf8)))
    }

    /// The rule for a user of `role` and `tier`: the tier's limit when one is configured, else
    /// the role's, else the default (seed 002: a subscription tier wins over the role).
    static func rule(_ limit: WireUserRateLimit, role: String, tier: String?) -> RateLimitRule? {
        let name = [tier, role].compactMap { $0 }.first { !$0.isEmpty && limit.byRole[$0] != nil }
        let special = name.flatMap { limit.byRole[$0] }
        let count = Int(special?.limit ?? limit.limit)
        let period = special?.periodSeconds ?? limit.periodSeconds
        guard count > 0, period > 0 else { return nil }
        return RateLimitRule(key: "\(limit.name):\(name ?? "default")", limit: count, periodSeconds: period)
    }

    static func wire(_ decision: RateLimitDecision) -> WireRateLimitDecision {
        var wire = WireRateLimitDecision()
        wire.allowed = decision.allowed
        wire.limit = Int32(decision.limit)
        wire.remaining = Int32(max(0, decision.remaining))
        wire.resetSeconds = decision.resetSeconds
        wire.retryAfterSeconds = decision.retryAfterSeconds
        return wire
    }

    func revoke(_ request: WireRevokeSessionRequest, _ context: WireRequest) async throws -> WireRevokeSessionReply {
        let decision = try await self.admit(request.hasLimit ? request.limit : nil)
        var reply = try await self.revokeSession(request, context)
        if let decision { reply.rateLimit = decision }
        return reply
    }

    private func revokeSession(_ request: WireRevokeSessionRequest, _ context: WireRequest) async throws -> WireRevokeSessionReply {
        var reply = WireRevokeSessionReply()
        if request.refreshToken.isEmpty && request.accessToken.isEmpty { return reply }  // a logout with nothing to end
        let token = RefreshToken(parsing: request.refreshToken)
        // Seed 001's logout names the caller: then nothing happens unless the refresh token is a
        // live one of theirs (the access token is not denied either).
        let owner: Int64? = request.userID != 0 ? request.userID : nil
        if let owner, token?.userID != owner { return reply }
        if let token {
            reply.familyRevoked = try await self.store.revokeFamily(of: token)
            if reply.familyRevoked { reply.userID = token.userID }
        }
        if owner != nil && !reply.familyRevoked { return reply }
        if !request.accessToken.isEmpty {
            let now = self.now()
            if let claims = try? await self.verifier.verifiedStateless(request.accessToken, now: now), let userID = Int64(claims.sub) {
                // Until the last moment the verifier would still take it: `exp` plus the leeway.
                let lastAccepted = Double(claims.exp) + self.verifier.leeway
                try await self.denylist.deny(jti: claims.jti, userID: userID, expiresAt: lastAccepted, now: now)
                reply.accessTokenDenied = true
                reply.userID = userID
            }
        }
        context.logger.info("session revoked", metadata: ["family": "\(reply.familyRevoked)", "access": "\(reply.accessTokenDenied)"])
        return reply
    }

    /// Ends every session of the user and kills every access token issued until now (password
    /// change, role change, deactivation).
    func revokeUser(_ request: WireRevokeUserRequest, _ context: WireRequest) async throws -> WireRevokeUserReply {
        guard request.userID > 0, request.validAfterMs >= 0 else { throw TokenError.invalidArgument }
        let now = self.now()
        // A moment in the future would end sessions not started yet.
        let moment = request.validAfterMs > 0 ? min(Double(request.validAfterMs) / 1000, now) : now
        let lifetime = max(self.accessLifetime, self.refreshLifetime, self.absoluteLifetime) + 60
        var reply = WireRevokeUserReply()
        reply.familiesRevoked = Int32(clamping: try await self.store.revokeAll(userID: request.userID, now: moment, lifetime: lifetime))
        context.logger.info("all sessions revoked", metadata: ["user_id": "\(request.userID)", "families": "\(reply.familiesRevoked)"])
        return reply
    }

    /// After an administrator changed the user's tier: the user's sessions carry it from their
    /// next refresh on (access tokens already issued keep the old one until they expire).
    func setSessionTier(_ request: WireSetSessionTierRequest, _ context: WireRequest) async throws -> WireSetSessionTierReply {
        guard request.userID > 0, request.tier.utf8.count <= 64 else { throw TokenError.invalidArgument }
        var reply = WireSetSessionTierReply()
        reply.sessionsUpdated = Int32(clamping: try await self.store.setTier(userID: request.userID, tier: request.tier))
        context.logger.info("session tier changed", metadata: ["user_id": "\(request.userID)", "sessions": "\(reply.sessionsUpdated)"])
        return reply
    }

    /// The JWKS and the claims outside verifiers check.
    func publicKeys() throws -> WirePublicKeysReply {
        let keys = self.keyRing.keySet
        var reply = WirePublicKeysReply()
        reply.algorithm = keys.algorithm.rawValue
        reply.jwksJson = String(decoding: try JSONEncoder().encode(JWKSDocument(keys: keys.publicKeys)), as: UTF8.self)
        reply.maxAgeSeconds = Int32(clamping: self.publicKeysMaxAge)
        reply.issuer = self.issuer
        reply.audience = self.audience
        return reply
    }

    /// The most sessions one page lists.
    static let sessionPage = 100

    /// The user's live sessions, newest first, a page at a time: at most `limit` (100 when 0),
    /// after `cursor` (the previous page's last session, as ``SessionCursor`` writes it).
    func listSessions(_ request: WireListSessionsRequest) async throws -> WireListSessionsReply {
        guard request.userID > 0, (0...Int32(Self.sessionPage)).contains(request.limit) else { throw TokenError.invalidArgument }
        let after = try request.cursor.isEmpty ? nil : SessionCursor(parsing: request.cursor)
        let limit = request.limit == 0 ? Self.sessionPage : Int(request.limit)
        let sessions = try await self.store.sessions(userID: request.userID).filter { after?.precedes($0) ?? true }
        var reply = WireListSessionsReply()
        reply.sessions = sessions.prefix(limit).map { session in
            var wire = WireSessionInfo()
            wire.id = session.id
            wire.createdMs = Int64((session.createdAt * 1000).rounded(.down))
            wire.lastUsedMs = Int64((session.lastUsedAt * 1000).rounded(.down))
            wire.userAgent = session.userAgent
            wire.ip = session.ip
            wire.expiresIn = Int64(session.expiresIn)
            return wire
        }
        if sessions.count > limit, let last = sessions.prefix(limit).last { reply.nextCursor = SessionCursor(last).text }
        return reply
    }

    /// Ends one session of the user (a device signed out from a session list): its refresh
    /// token at once, its access tokens from their next check on, on every instance.
    func endSession(_ request: WireEndSessionRequest, _ context: WireRequest) async throws -> WireEndSessionReply {
        guard request.userID > 0 else { throw TokenError.invalidArgument }
        var reply = WireEndSessionReply()
        reply.ended = try await self.store.endSession(userID: request.userID, familyID: request.sessionID)
        context.logger.info("session ended", metadata: ["user_id": "\(request.userID)", "ended": "\(reply.ended)"])
        return reply
    }

    /// Ends every session of the user but the one named (log out everywhere else).
    func endOtherSessions(_ request: WireEndOtherSessionsRequest, _ context: WireRequest) async throws -> WireEndOtherSessionsReply {
        guard request.userID > 0 else { throw TokenError.invalidArgument }
        let keep = request.keepSessionID.isEmpty ? nil : request.keepSessionID
        var reply = WireEndOtherSessionsReply()
        reply.sessionsEnded = Int32(clamping: try await self.store.endSessions(userID: request.userID, keeping: keep))
        context.logger.info(
            "sessions ended",
            metadata: ["user_id": "\(request.userID)", "sessions": "\(reply.sessionsEnded)", "kept": "\(keep != nil)"]
        )
        return reply
    }

    /// The `amr` values a session keeps: at most four short lower-case words (RFC 8176's are).
    static func methods(_ amr: [String]) -> [String] {
        Array(amr.filter { (1...16).contains($0.utf8.count) && $0.utf8.allSatisfy { $0 >= 0x61 && $0 <= 0x7A } }.prefix(4))
    }

    private func pair(for grant: SessionGrant, refresh: RefreshToken, refreshLifetime: Int, now: Double) async throws -> WireTokenPair {
        let issuedAt = (now * 1000).rounded(.down) / 1000
        let claims = AccessTokenClaims(
            iss: self.issuer,
            aud: self.audience,
            sub: String(grant.userID),
            username: grant.username,
            role: grant.role,
            scope: grant.scope,
            iat: issuedAt,
            nbf: Int(now),
            exp: Int(now) + self.accessLifetime,
            jti: Base64URL.encode(RefreshToken.randomBytes(16)),
            tier: grant.tier.isEmpty ? nil : grant.tier,
            sid: refresh.familyID,
            amr: grant.amr,
            authTime: Int(grant.startedAt)
        )
        var pair = WireTokenPair()
        pair.accessToken = try await self.keyRing.sign(claims)
        pair.expiresIn = Int64(self.accessLifetime)
        pair.refreshToken = refresh.value
        pair.refreshExpiresIn = Int64(refreshLifetime)
        pair.scope = grant.scope
        pair.userID = grant.userID
        pair.sessionStartedMs = Int64((grant.startedAt * 1000).rounded(.down))
        pair.csrfToken = self.csrfToken(session: refresh.familyID)
        return pair
    }

    /// A session's CSRF token: bound to the session, so a value an attacker planted in the
    /// browser's cookies does not pass; empty when none is issued.
    func csrfToken(session familyID: String?) -> String {
        guard let key = self.csrfKey, let familyID, !familyID.isEmpty else { return "" }
        return Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(familyID.utf8), using: key)))
    }

    static func wire(_ claims: AccessTokenClaims) -> WireAccessClaims {
        var wire = WireAccessClaims()
        wire.userID = Int64(claims.sub) ?? 0
        wire.username = claims.username
        wire.role = claims.role
        wire.scope = claims.scope
        wire.jti = claims.jti
        wire.issuedAt = Int64(claims.iat)
        wire.issuedAtMs = Int64((claims.issuedAt * 1000).rounded(.down))
        wire.expiresAt = Int64(claims.exp)
        wire.tier = claims.tier ?? ""
        wire.sessionID = claims.sid ?? ""
        wire.amr = claims.amr ?? []
        wire.authTime = Int64(claims.authTime ?? 0)
        return wire
    }
}
