import AccessControl
import Hummingbird
import Logging
import WireProtocol

/// The session steps both sets of routes share (seed 000's cookie flow and seed 001's OAuth2
/// flow): log in, rotate, end one session, end them all. Routes only read and write HTTP.
/// The login routes, each answering in its own shape: seed 000's `/api/v1/login`, OAuth2's
/// `/api/v1/auth/token`, seed 003's `/auth/login`. A second-factor challenge remembers which.
enum LoginRoute: String, Sendable {
    case login, token, auth
}

struct Sessions: Sendable {
    let identity: IdentityClient
    let token: TokenClient
    let limits: RateLimits
    let audit: AuditReporter
    let changes: SessionChangeRetrier

    /// The longest login (a username or an email) accepted; longer is a 422 before any work.
    static let maximumLoginBytes = 320

    /// Checks the login limits (per IP and per account, before any hashing), the password, then
    /// starts a session whose access token carries `requestedScopes` as the role allows
    /// (everything the role allows when none are asked).
    ///
    /// The account's attempts are counted under the account identity resolves the login to, so
    /// its username in any case, its email and stray spaces all count together.
    /// With a second factor on the account, the right password is answered 403 `mfa_required`
    /// with a challenge for `route` (and the scopes asked for), completed by ``completeMFA(_:context:)``.
    /// - Parameter field: the name the route's client gives the login, for a 422.
    func logIn(
        login: String,
        field: String = "username",
        password: String,
        requestedScopes: [String],
        route: LoginRoute,
        client: WireClientInfo,
        context: GatewayRequestContext
    ) async throws -> (WireTokenPair, WireRateLimitDecision?) {
        let trimmed = login.trimmingCharacters(in: " \t\r\n")
        guard !trimmed.isEmpty, trimmed.utf8.count <= Self.maximumLoginBytes else {
            throw APIError(.unprocessableContent, "\(field): must be 1 to \(Self.maximumLoginBytes) characters")
        }
        var credentials = WireVerifyCredentialsRequest()
        credentials.login = trimmed
        credentials.password = password
        credentials.client = client
        // Only scope names we know travel with the challenge: what the token route asked for.
        let knownScopes = requestedScopes.filter { Scope.all.contains($0) }
        credentials.route = ([route.rawValue] + knownScopes.prefix(Scope.all.count)).joined(separator: " ")
        var decision: WireRateLimitDecision?
        if self.limits.configuration.enabled {
            let account = try await BackendCall.run("identity") { try await self.identity.resolveLogin(trimmed, requestID: context.requestID) }
            decision = try await self.limits.check(
                [
                    self.limits.rule(RateLimits.addressKey("login", client.ip), self.limits.configuration.login),
                    self.limits.rule(Self.accountKey(account), self.limits.configuration.login),
                ],
                failClosed: true,
                reportedRule: 0,
                context: context
            )
        }
        let pair = try await RateLimits.reporting(decision) {
            let user = try await BackendCall.run("identity") { try await self.identity.verifyCredentials(credentials, requestID: context.requestID) }
            return try await self.startSession(user: user, requestedScopes: requestedScopes, amr: ["pwd"], client: client, context: context)
        }
        return (pair, decision)
    }

    /// The second step of a login that answered `mfa_required`: the challenge's token and a code
    /// (or a recovery code) → the session the login would have started, and the route it came
    /// from (whose answer the caller gives). Each try counts against the login limit per address.
    func completeMFA(_ message: WireCompleteMfaLoginRequest, context: GatewayRequestContext) async throws
        -> (WireTokenPair, LoginRoute, WireRateLimitDecision?)
    {
        let decision = try await self.limits.check(
            [self.limits.rule(RateLimits.addressKey("mfa", message.client.ip), self.limits.configuration.login)],
            failClosed: true,
            context: context
        )
        let (pair, route) = try await RateLimits.reporting(decision) {
            let login = try await BackendCall.run("identity") { try await self.identity.completeMFALogin(message, requestID: context.requestID) }
            let words = login.route.split(separator: " ").map(String.init)
            let pair = try await self.startSession(
                user: login.user,
                requestedScopes: Array(words.dropFirst()),
                amr: login.amr,
                client: message.client,
                context: context
            )
            return (pair, words.first.flatMap(LoginRoute.init(rawValue:)) ?? .login)
        }
        return (pair, route, decision)
    }

    /// Starts a session for `user`, whose access tokens carry `requestedScopes` as the role allows.
    private func startSession(
        user: WireUser,
        requestedScopes: [String],
        amr: [String],
        client: WireClientInfo,
        context: GatewayRequestContext
    ) async throws -> WireTokenPair {
        var issue = WireIssueTokensRequest()
        issue.userID = user.id
        issue.username = user.username
        issue.role = user.role
        issue.scope = Scope.granted(requested: requestedScopes, role: Role(rawValue: user.role) ?? .user).joined(separator: " ")
        issue.client = client
        issue.amr = amr
        if user.hasTier { issue.tier = user.tier }
        let pair = try await BackendCall.run("token") { try await self.token.issue(issue, requestID: context.requestID) }
        if pair.sessionsEvicted > 0 {
            // The user held MAX_SESSIONS_PER_USER sessions: the least recently used ended to make room.
            self.audit.report(
                "session_evicted",
                userID: pair.userID,
                client: client,
                requestID: context.requestID,
                detail: ["sessions_ended": String(pair.sessionsEvicted)]
            )
        }
        return pair
    }

    /// The rate-limit key of an account's login attempts (`u:<id>` from identity).
    static func accountKey(_ account: String) -> String { "login:account:\(account)" }

    /// One-time rotation; a reused token revokes its session and is reported to the audit log.
    ///
    /// The user is read from identity alongside the rotation (the same round trip time): a
    /// session of a user who is gone or inactive, or started before the user's last revocation
    /// of everything, ends here even if the token service never heard of that revocation. When
    /// identity cannot be reached the rotation stands: the revocation, kept by identity, is
    /// applied by the next refresh or sweep.
    func rotate(_ refreshToken: String, client: WireClientInfo, context: GatewayRequestContext) async throws
        -> (WireTokenPair, WireRateLimitDecision?)
    {
        var rotation = WireRefreshTokensRequest()
        rotation.refreshToken = refreshToken
        rotation.client = client
        if let limit = self.limits.addressRule(client.ip) { rotation.limit = limit }
        async let account = self.account(ofRefreshToken: refreshToken, context: context)
        let pair: WireTokenPair
        do {
            pair = try await self.token.refresh(rotation, requestID: context.requestID)
        } catch WireError.remote(.tokenReused, let message, let metadata) {
            let userID = metadata["user_id"].flatMap { Int64($0) } ?? 0
            self.audit.report("token_reuse_detected", userID: userID, client: client, requestID: context.requestID)
            throw APIError.from(status: .tokenReused, message: message, service: "token")
        } catch {
            throw APIError.from(backendError: error, service: "token")
        }
        let valid: Bool
        switch await account {
        case .active(let user): valid = pair.sessionStartedMs >= user.tokensValidAfterMs
        case .unknown: valid = true
        case .gone: valid = false
        }
        if valid {
            // A replay inside the reuse grace is answered with the successor already issued: audited
            // apart, since a thief inside the window gets it as well.
            self.audit.report(
                pair.replayed ? "token_refresh_replayed" : "token_refresh",
                userID: pair.userID,
                client: client,
                requestID: context.requestID
            )
            return (pair, pair.hasRateLimit ? pair.rateLimit : nil)
        } else {
            var revoke = WireRevokeSessionRequest()
            revoke.refreshToken = pair.refreshToken
            _ = try? await self.token.revoke(revoke, requestID: context.requestID)
            context.logger.notice("refresh refused: the session was revoked in identity", metadata: ["user_id": "\(pair.userID)"])
            throw APIError.from(status: .invalidToken, message: "Invalid or expired refresh token", service: "token")
        }
    }

    /// What identity says of the user a refresh token names.
    enum AccountState: Sendable {
        case active(WireUser)
        /// Deleted, deactivated or never there.
        case gone
        /// Identity could not say (unreachable, overloaded) or the token names no user.
        case unknown
    }

    private func account(ofRefreshToken token: String, context: GatewayRequestContext) async -> AccountState {
        guard let userID = Int64(token.prefix { $0 != "." }), userID > 0 else { return .unknown }
        do {
            return .active(try await BackendCall.run("identity") { try await self.identity.user(id: userID, requestID: context.requestID) })
        } catch let error as APIError where error.status == .notFound || error.status == .unauthorized {
            return .gone
        } catch {
            context.logger.warning("refresh: user not checked, identity did not answer", metadata: ["error": "\(error)"])
            return .unknown
        }
    }

    /// Logout: revokes the session of `refreshToken` and denies `accessToken` until it expires.
    /// With `ownerID`, nothing happens unless `refreshToken` is a live token of that user.
    ///
    /// With `countingAddress`, the per-address limit is checked first: by the token service in
    /// the same operation, or on its own (open when the token service cannot be asked) when
    /// there is no token to end.
    func end(
        refreshToken: String,
        accessToken: String,
        ownerID: Int64 = 0,
        countingAddress: Bool = true,
        client: WireClientInfo,
        context: GatewayRequestContext
    ) async throws -> WireRevokeSessionReply {
        guard !refreshToken.isEmpty || !accessToken.isEmpty else {
            if countingAddress { _ = try await self.limits.checkAddress(client.ip, context: context) }
            return WireRevokeSessionReply()
        }
        var revoke = WireRevokeSessionRequest()
        revoke.refreshToken = refreshToken
        revoke.accessToken = accessToken
        revoke.userID = ownerID
        if countingAddress, let limit = self.limits.addressRule(client.ip) { revoke.limit = limit }
        let reply = try await BackendCall.run("token") { try await self.token.revoke(revoke, requestID: context.requestID) }
        if reply.userID > 0 {
            self.audit.report("logout", userID: reply.userID, client: client, requestID: context.requestID)
        }
        return reply
    }

    /// Ends every session and access token of the user issued before `user`'s
    /// `tokens_valid_after` moment (after a password change, a role change, a deactivation).
    /// Identity has already recorded the moment, which the gateway checks on every
    /// authenticated request and every refresh; the token service deletes the sessions, and
    /// when it cannot be reached the revocation is retried in the background (and, kept by
    /// identity until confirmed, by any gateway's sweep), so refresh tokens die as soon as Redis is back.
    func endAll(user: WireUser, context: GatewayRequestContext) async {
        let change = SessionChange.revokeAll(userID: user.id, validAfterMs: user.tokensValidAfterMs)
        do {
            try await SessionChangeRetrier.apply(change, identity: self.identity, token: self.token)
        } catch {
            context.logger.error("sessions not revoked yet: retrying in the background", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
            self.changes.retry(change)
        }
    }

    /// After an administrator changed the user's tier: the sessions carry it from their next
    /// refresh on. When the token service cannot be reached, this is retried in the background.
    func setTier(userID: Int64, tier: String, context: GatewayRequestContext) async {
        do {
            _ = try await self.token.setSessionTier(userID: userID, tier: tier, requestID: context.requestID)
        } catch {
            context.logger.error("session tier not changed yet: retrying in the background", metadata: ["user_id": "\(userID)", "error": "\(error)"])
            self.changes.retry(.setTier(userID: userID, tier: tier))
        }
    }
}
