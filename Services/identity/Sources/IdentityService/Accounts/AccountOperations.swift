import Logging
import WireProtocol
import WireTransport

/// The signed-in user's own account: read it, change password, update profile, deactivate, end
/// every session; and the revocations the gateways pass on to the token service.
///
/// Each answers the user as it is afterwards; where every token of the user must die, its
/// `tokens_valid_after_ms` is the moment, and the gateway tells the token service.
extension IdentityOperations {
    func registerAccountOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.getUser) { (request: WireGetUserRequest, _) in try await self.getUser(request) }
        dispatcher.on(.changePassword) { (request: WireChangePasswordRequest, context) in try await self.changePassword(request, context) }
        dispatcher.on(.updateProfile) { (request: WireUpdateProfileRequest, context) in try await self.updateProfile(request, context) }
        dispatcher.on(.deactivateAccount) { (request: WireDeactivateAccountRequest, context) in
            try await self.deactivateAccount(request, context)
        }
        dispatcher.on(.endAllSessions) { (request: WireEndAllSessionsRequest, context) in try await self.endAllSessions(request, context) }
        dispatcher.on(.pendingRevocations) { (_: WireEmpty, _) in try await self.pendingRevocations() }
        dispatcher.on(.confirmRevocation) { (request: WirePendingRevocation, _) in try await self.confirmRevocation(request) }
    }

    func getUser(_ request: WireGetUserRequest) async throws -> WireUser {
        guard let user = try await self.users.find(id: request.id) else { throw IdentityError.userNotFound }
        guard user.canLogIn || request.includeInactive else { throw IdentityError.accountInactive }
        return user.wire
    }

    /// The most revocations one answer lists.
    static let revocationPage = 100

    /// Revocations of everything the token service has not confirmed: the gateways' work list.
    func pendingRevocations() async throws -> WirePendingRevocations {
        var reply = WirePendingRevocations()
        reply.revocations = try await self.users.pendingRevocations(limit: Self.revocationPage).map { pending in
            var revocation = WirePendingRevocation()
            revocation.userID = pending.userID
            revocation.tokensValidAfterMs = pending.tokensValidAfterMilliseconds
            return revocation
        }
        return reply
    }

    func confirmRevocation(_ request: WirePendingRevocation) async throws -> WireEmpty {
        guard request.userID > 0, request.tokensValidAfterMs > 0 else {
            throw IdentityError.invalidField(field: "user_id", reason: "must name a user and a moment")
        }
        try await self.users.confirmRevocation(id: request.userID, tokensValidAfterMilliseconds: request.tokensValidAfterMs)
        return WireEmpty()
    }

    /// Wrong current password → ``IdentityError/wrongCurrentPassword`` (and counts as a failed
    /// login, so a stolen access token cannot be used to guess the password); the policy
    /// applies to the new one, which must differ from the current one. The user's API keys are
    /// revoked with the change, as its sessions are: whoever held the old password may have made them.
    func changePassword(_ request: WireChangePasswordRequest, _ context: WireRequest) async throws -> WireUser {
        try self.rules.checkPasswordLength(request.currentPassword)
        guard request.newPassword != request.currentPassword else { throw IdentityError.passwordUnchanged }
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        try self.rules.checkPassword(request.newPassword, field: "new_password", username: user.username, email: user.email)
        try await self.confirmPassword(request.currentPassword, of: user, request.client, context)
        try await self.requireSecondFactorIfEnabled(request.factor, of: user, request.client, context)
        let newPassword = request.newPassword
        let hash = try await self.hashing { try self.hasher.hash(newPassword) }
        guard let updated = try await self.users.changePassword(id: user.id, hash: hash, tokensValidAfterMilliseconds: self.revocationMoment())
        else { throw IdentityError.accountInactive }
        self.record(.passwordChanged, user: updated, request.client, context)
        await self.sendNotice(.passwordChanged, to: updated.email, for: updated, request.client, context)
        return updated.wire
    }

    /// Checks the password the signed-in user typed again before a sensitive change; a wrong
    /// one counts toward the account's lockout, and a locked account cannot confirm. Missing →
    /// `current_password: field required`.
    func confirmPassword(_ password: String, of user: UserRecord, _ client: WireClientInfo, _ context: WireRequest) async throws {
        guard !password.isEmpty else { throw IdentityError.invalidField(field: "current_password", reason: "field required") }
        try self.rules.checkPasswordLength(password)
        let storedHash = user.passwordHash
        let matches = try await self.hashing { self.hasher.verify(password, against: storedHash) }
        let now = self.now()
        guard matches else {
            // As at login, failures while locked are not counted (they would only move the lock on).
            if !self.lockout.isLocked(until: user.lockedUntil, now: now) {
                let lockedNow = try await self.users.recordFailedLogin(
                    id: user.id,
                    maximumAttempts: self.lockout.maximumAttempts,
                    now: now,
                    lockUntil: self.lockout.lockEnd(from: now)
                )
                if lockedNow { self.record(.accountLocked, user: user, client, context) }
            }
            throw IdentityError.wrongCurrentPassword
        }
        // The lock is decided on the row as it is now, after the hash, as at login: guesses made
        // meanwhile may have locked the account since `user` was read.
        guard try await self.users.admitLogin(id: user.id, now: now, rehashed: nil, recordLogin: false) else {
            throw IdentityError.wrongCurrentPassword
        }
    }

    /// `full_name` and `email` (validated and normalised as at registration); absent fields stay.
    /// A new email address needs the current password and is no longer verified: with mail set
    /// up, the new address gets a verification message (unless `EMAIL_VERIFICATION` is `off`) and
    /// the former one a notice.
    func updateProfile(_ request: WireUpdateProfileRequest, _ context: WireRequest) async throws -> WireUser {
        let fullName = request.hasFullName ? try self.rules.normalizedFullName(request.fullName) : nil
        let email = request.hasEmail ? try self.rules.normalizedEmail(request.email) : nil
        var formerEmail: String?
        if let email {
            guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
            // Byte for byte: canonically equivalent spellings are different addresses to the store.
            if !email.utf8.elementsEqual(user.email.lowercased().utf8) {
                guard request.hasCurrentPassword else {
                    throw IdentityError.invalidField(field: "current_password", reason: "field required to change the email")
                }
                try await self.confirmPassword(request.currentPassword, of: user, request.client, context)
                try await self.requireSecondFactorIfEnabled(request.factor, of: user, request.client, context)
                formerEmail = user.email
            }
        }
        // The sessions go on: under EMAIL_VERIFICATION=required the next login waits for the new
        // address to be verified, and a mistyped address can still be corrected meanwhile.
        guard let user = try await self.users.updateProfile(id: request.userID, fullName: fullName, email: email) else {
            throw IdentityError.accountInactive
        }
        if let formerEmail {
            await self.sendNotice(.emailChanged, to: formerEmail, for: user, request.client, context)
            if self.emailVerification != .off {
                await self.sendVerification(to: user, cause: "email_change", request.client, context)
            }
        }
        return user.wire
    }

    /// "Log out everywhere": every token issued until now and every API key of the user die;
    /// the account stays.
    func endAllSessions(_ request: WireEndAllSessionsRequest, _ context: WireRequest) async throws -> WireUser {
        guard let user = try await self.users.endAllSessions(id: request.userID, tokensValidAfterMilliseconds: self.revocationMoment()) else {
            throw IdentityError.accountInactive
        }
        self.record(.loggedOutEverywhere, user: user, request.client, context)
        return user.wire
    }

    /// Soft delete, once the password is typed again: the account can no longer log in; its
    /// tokens and API keys die.
    func deactivateAccount(_ request: WireDeactivateAccountRequest, _ context: WireRequest) async throws -> WireUser {
        guard let owner = try await self.users.find(id: request.userID), owner.canLogIn else { throw IdentityError.accountInactive }
        try await self.confirmPassword(request.currentPassword, of: owner, request.client, context)
        try await self.requireSecondFactorIfEnabled(request.factor, of: owner, request.client, context)
        guard let user = try await self.users.deactivate(id: request.userID, tokensValidAfterMilliseconds: self.revocationMoment()) else {
            throw IdentityError.userNotFound
        }
        self.record(.accountDeactivated, user: user, request.client, context)
        return user.wire
    }
}
