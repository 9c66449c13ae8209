import AccessControl
import ServiceRuntime
import WireProtocol
import WireTransport

/// The second factor: enrolment, confirmation, recovery codes, turning it off, and the second
/// step of a login. Each code is accepted once (``MFAStore/useStep(userID:step:)``), wrong codes
/// are counted per account, and codes and secrets never reach a log line or the audit trail.
extension IdentityOperations {
    func registerMFAOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.enrollTOTP) { (request: WireEnrollTotpRequest, context) in try await self.enrollTOTP(request, context) }
        dispatcher.on(.confirmTOTP) { (request: WireConfirmTotpRequest, context) in try await self.confirmTOTP(request, context) }
        dispatcher.on(.regenerateRecoveryCodes) { (request: WireRegenerateRecoveryCodesRequest, context) in
            try await self.regenerateRecoveryCodes(request, context)
        }
        dispatcher.on(.disableTOTP) { (request: WireDisableTotpRequest, context) in try await self.disableTOTP(request, context) }
        dispatcher.on(.completeMFALogin) { (request: WireCompleteMfaLoginRequest, context) in try await self.completeMFALogin(request, context) }
        dispatcher.on(.resetMFA) { (request: WireResetMfaRequest, context) in try await self.resetMFA(request, context) }
    }

    /// With a confirmed factor on the account, a change the factor guards (the password, the
    /// address, an API key, deleting the account, a reset by mail) needs a code or a recovery code
    /// as well: missing → `mfa_required`. Read from the factor itself, not a cached user.
    func requireSecondFactorIfEnabled(_ given: WireSecondFactor, of user: UserRecord, _ client: WireClientInfo, _ context: WireRequest)
        async throws
    {
        guard let mfa = self.secondFactor else {
            // Identity refuses to start without the key once a factor exists; a user who has one
            // regardless is refused rather than let through on the password alone.
            if user.mfaEnabled { throw IdentityError.mfaNotConfigured }
            return
        }
        guard let factor = try await mfa.store.factor(userID: user.id), factor.confirmed else { return }
        _ = try await self.checkSecondFactor(given, of: user, mfa, client, context)
    }

    func requireSecondFactor() throws -> SecondFactor {
        guard let secondFactor = self.secondFactor else { throw IdentityError.mfaNotConfigured }
        return secondFactor
    }

    /// A new pending secret, after the password typed again; replaces a pending one.
    func enrollTOTP(_ request: WireEnrollTotpRequest, _ context: WireRequest) async throws -> WireTotpEnrollment {
        let mfa = try self.requireSecondFactor()
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        try await self.confirmPassword(request.currentPassword, of: user, request.client, context)
        let secret = Sodium.randomBytes(TOTP.secretBytes)
        guard try await mfa.store.enroll(userID: user.id, sealedSecret: mfa.keys.seal(secret: secret, userID: user.id)) else {
            throw IdentityError.mfaAlreadyEnabled
        }
        var reply = WireTotpEnrollment()
        reply.secret = SecondFactor.base32(secret)
        reply.otpauthUri = mfa.otpauthURI(secret: secret, account: user.username)
        return reply
    }

    /// The first code from the app turns the pending secret on; its step counts as used.
    func confirmTOTP(_ request: WireConfirmTotpRequest, _ context: WireRequest) async throws -> WireRecoveryCodes {
        let mfa = try self.requireSecondFactor()
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        guard let factor = try await mfa.store.factor(userID: user.id), !factor.confirmed else { throw IdentityError.mfaNotEnabled }
        try self.checkNotLocked(factor)
        guard let secret = mfa.keys.open(factor.sealedSecret, userID: user.id) else { throw IdentityError.mfaNotEnabled }
        let (codes, digests) = mfa.newRecoveryCodes(userID: user.id)
        // Bound to the secret the code was checked against: an enrolment meanwhile replaced it.
        guard let step = TOTP.matchingStep(secret: secret, code: request.code, now: self.now(), after: factor.lastStep),
            try await mfa.store.confirm(userID: user.id, sealedSecret: factor.sealedSecret, step: step, recoveryDigests: digests)
        else {
            try await self.countWrongCode(user, mfa, request.client, context, purpose: "confirm")
            throw IdentityError.badMFACode
        }
        self.users.changedElsewhere(id: user.id)
        self.record(.mfaEnabled, user: user, request.client, context)
        await self.sendNotice(.mfaEnabled, to: user.email, for: user, request.client, context)
        var reply = WireRecoveryCodes()
        reply.codes = codes
        return reply
    }

    /// A new set of recovery codes; the old set dies. Needs the password and a code.
    func regenerateRecoveryCodes(_ request: WireRegenerateRecoveryCodesRequest, _ context: WireRequest) async throws -> WireRecoveryCodes {
        let mfa = try self.requireSecondFactor()
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        try await self.confirmPassword(request.currentPassword, of: user, request.client, context)
        _ = try await self.checkSecondFactor(request.factor, of: user, mfa, request.client, context)
        let (codes, digests) = mfa.newRecoveryCodes(userID: user.id)
        guard try await mfa.store.replaceRecoveryCodes(userID: user.id, digests: digests) else { throw IdentityError.mfaNotEnabled }
        self.record(.mfaRecoveryCodesReplaced, user: user, request.client, context)
        var reply = WireRecoveryCodes()
        reply.codes = codes
        return reply
    }

    /// Turns the factor off: the password and a code (or a recovery code). Answers the user.
    func disableTOTP(_ request: WireDisableTotpRequest, _ context: WireRequest) async throws -> WireUser {
        let mfa = try self.requireSecondFactor()
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        try await self.confirmPassword(request.currentPassword, of: user, request.client, context)
        _ = try await self.checkSecondFactor(request.factor, of: user, mfa, request.client, context)
        let removed = try await mfa.store.disable(userID: user.id)
        self.users.changedElsewhere(id: user.id)
        guard removed else { throw IdentityError.mfaNotEnabled }
        self.record(.mfaDisabled, user: user, request.client, context)
        await self.sendNotice(.mfaDisabled, to: user.email, for: user, request.client, context)
        guard let updated = try await self.users.find(id: user.id) else { throw IdentityError.accountInactive }
        return updated.wire
    }

    /// An administrator turns a user's factor off (a lost device): audited with who did it, the
    /// user is told by mail, and every session, token and API key of the user ends, in the same
    /// statement as the factor goes. Only over a lower role (an admin resets users' and
    /// moderators', a super admin anyone's), never one's own (that is `DELETE /auth/mfa/totp`,
    /// with the password and a code): one stolen administrator's token must not strip the factor
    /// from its own account or a peer's.
    func resetMFA(_ request: WireResetMfaRequest, _ context: WireRequest) async throws -> WireUser {
        let mfa = try self.requireSecondFactor()
        guard request.actorID != request.userID else { throw IdentityError.ownFactor }
        guard let actor = try await self.users.find(id: request.actorID), actor.canLogIn, let actorRole = Role(rawValue: actor.role),
            actorRole.permissions.contains(.updateAnyUser)
        else { throw IdentityError.notPermitted }
        guard let target = try await self.users.find(id: request.userID) else { throw IdentityError.userNotFound }
        guard let targetRole = Role(rawValue: target.role), actorRole > targetRole else {
            throw target.role == Role.superAdmin.rawValue ? IdentityError.superAdminImmutable : IdentityError.notPermitted
        }
        let removed = try await mfa.store.resetByAdministrator(userID: target.id, tokensValidAfterMilliseconds: self.revocationMoment())
        self.users.changedElsewhere(id: target.id)
        guard removed, let updated = try await self.users.find(id: target.id) else { throw IdentityError.mfaNotEnabled }
        self.record(.mfaResetByAdministrator, user: updated, request.client, context, detail: ["by_user_id": String(request.actorID)])
        await self.sendNotice(.mfaReset, to: updated.email, for: updated, request.client, context)
        return updated.wire
    }

    /// Opens a login challenge for a user whose password was right: its token, bound to `route`.
    func openLoginChallenge(for user: UserRecord, route: String, _ client: WireClientInfo, _ context: WireRequest) async throws -> SecretText {
        let mfa = try self.requireSecondFactor()
        let token = AccountChallenge.base64URL(Sodium.randomBytes(32))
        try await mfa.store.createChallenge(
            digest: mfa.keys.challengeDigest(token),
            userID: user.id,
            route: try Self.challengeRoute(route),
            tokensValidAfterMilliseconds: user.tokensValidAfterMilliseconds,
            lifetimeSeconds: SecondFactor.challengeLifetimeSeconds
        )
        self.record(.mfaChallenged, user: user, client, context, detail: ["route": String(route.prefix { $0 != " " })])
        return SecretText(token)
    }

    /// What a challenge remembers of the login: its route (`login`, `token`, `auth`), then the
    /// scopes it asked for, space-separated; anything else is a plain `login`.
    static func challengeRoute(_ route: String) throws -> String {
        if route.isEmpty { return "login" }  // a gateway from before routes were sent
        guard route.utf8.count <= 1024, let first = route.split(separator: " ").first, SecondFactor.routes.contains(String(first)) else {
            throw IdentityError.invalidField(field: "route", reason: "must be login, token or auth, then at most 1 KiB of scopes")
        }
        return route
    }

    /// The second step of a login: the challenge's token and a code. Answers the user, the route
    /// the login came from and how the user authenticated.
    func completeMFALogin(_ request: WireCompleteMfaLoginRequest, _ context: WireRequest) async throws -> WireMfaLogin {
        let mfa = try self.requireSecondFactor()
        guard !request.mfaToken.isEmpty, request.mfaToken.utf8.count <= 128 else { throw IdentityError.badMFAToken }
        let digest = mfa.keys.challengeDigest(request.mfaToken)
        guard let challenge = try await mfa.store.attemptChallenge(digest: digest, maximumAttempts: SecondFactor.challengeAttempts) else {
            throw IdentityError.badMFAToken
        }
        // A challenge won before the password changed or was reset, or before "log out
        // everywhere", is dead: its password no longer opens the account.
        guard let user = try await self.users.find(id: challenge.userID), user.canLogIn,
            challenge.tokensValidAfterMilliseconds == user.tokensValidAfterMilliseconds
        else {
            try await mfa.store.consumeChallenge(digest: digest)
            throw IdentityError.badMFAToken
        }
        let method: String
        do {
            method = try await self.checkSecondFactor(request.factor, of: user, mfa, request.client, context)
        } catch {
            try await mfa.store.releaseChallenge(digest: digest)
            throw error
        }
        try await mfa.store.consumeChallenge(digest: digest)
        self.record(.loginSuccess, user: user, request.client, context, detail: ["mfa": method])
        var reply = WireMfaLogin()
        reply.user = user.wire
        reply.route = challenge.route
        reply.amr = ["pwd", method]
        return reply
    }

    /// Checks a TOTP code or a recovery code of the user's confirmed factor and spends it:
    /// `otp` or `mfa` (RFC 8176), for the `amr` claim. Neither given → `mfa_required`.
    func checkSecondFactor(
        _ given: WireSecondFactor,
        of user: UserRecord,
        _ mfa: SecondFactor,
        _ client: WireClientInfo,
        _ context: WireRequest
    ) async throws -> String {
        guard !given.code.isEmpty || !given.recoveryCode.isEmpty else { throw IdentityError.mfaRequired(challenge: nil) }
        guard let factor = try await mfa.store.factor(userID: user.id), factor.confirmed else { throw IdentityError.mfaNotEnabled }
        try self.checkNotLocked(factor)
        if !given.code.isEmpty {
            if let secret = mfa.keys.open(factor.sealedSecret, userID: user.id),
                let step = TOTP.matchingStep(secret: secret, code: given.code, now: self.now(), after: factor.lastStep),
                try await mfa.store.useStep(userID: user.id, step: step)
            {
                return "otp"
            }
        } else if let normalized = RecoveryCode.normalized(given.recoveryCode),
            let left = try await mfa.store.useRecoveryCode(userID: user.id, digest: mfa.keys.recoveryDigest(normalized, userID: user.id))
        {
            self.record(.mfaRecoveryCodeUsed, user: user, client, context, detail: ["codes_left": String(left)])
            await self.sendNotice(.recoveryCodeUsed, to: user.email, for: user, client, context)
            return "mfa"
        }
        try await self.countWrongCode(user, mfa, client, context, purpose: given.code.isEmpty ? "recovery_code" : "code")
        throw IdentityError.badMFACode
    }

    /// Refuses while the factor's codes are locked, saying until when.
    private func checkNotLocked(_ factor: TOTPFactor) throws {
        guard let lockedUntil = factor.lockedUntil else { return }
        let left = lockedUntil - self.now()
        if left > 0 { throw IdentityError.mfaLocked(retryAfterSeconds: Int(left.rounded(.up))) }
    }

    private func countWrongCode(_ user: UserRecord, _ mfa: SecondFactor, _ client: WireClientInfo, _ context: WireRequest, purpose: String)
        async throws
    {
        let lockedNow = try await mfa.store.recordFailure(
            userID: user.id,
            maximumFailures: SecondFactor.maximumFailures,
            windowSeconds: SecondFactor.failureWindowSeconds,
            lockSeconds: SecondFactor.lockSeconds
        )
        self.record(.mfaFailure, user: user, client, context, detail: ["kind": purpose])
        if lockedNow { self.record(.mfaLocked, user: user, client, context) }
    }
}
