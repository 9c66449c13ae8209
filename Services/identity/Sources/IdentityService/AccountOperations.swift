import Logging
import WireProtocol
import WireTransport

/// The signed-in user's own account: change password, update profile, deactivate.
///
/// Each answers the user as it is afterwards; where every token of the user must die, its
/// `tokens_valid_after_ms` is the moment, and the gateway tells the token service.
extension IdentityOperations {
    func registerAccountOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.changePassword) { (request: WireChangePasswordRequest, context) in try await self.changePassword(request, context) }
        dispatcher.on(.updateProfile) { (request: WireUpdateProfileRequest, _) in try await self.updateProfile(request) }
        dispatcher.on(.deactivateAccount) { (request: WireDeactivateAccountRequest, context) in
            try await self.deactivateAccount(request, context)
        }
    }

    /// Wrong current password → ``IdentityError/wrongCurrentPassword`` (and counts as a failed
    /// login, so a stolen access token cannot be used to guess the password); the policy
    /// applies to the new one, which must differ from the current one.
    func changePassword(_ request: WireChangePasswordRequest, _ context: WireRequest) async throws -> WireUser {
        try self.rules.checkPasswordLength(request.currentPassword)
        guard request.newPassword != request.currentPassword else { throw IdentityError.passwordUnchanged }
        try self.rules.checkPassword(request.newPassword, field: "new_password")
        guard let user = try await self.users.find(id: request.userID), user.canLogIn else { throw IdentityError.accountInactive }
        let current = request.currentPassword
        let storedHash = user.passwordHash
        let matches = try await self.hashing { self.hasher.verify(current, against: storedHash) }
        let now = self.now()
        guard matches, !self.lockout.isLocked(until: user.lockedUntil, now: now) else {
            if matches == false {
                let lockedNow = try await self.users.recordFailedLogin(
                    id: user.id,
                    maximumAttempts: self.lockout.maximumAttempts,
                    now: now,
                    lockUntil: self.lockout.lockEnd(from: now)
                )
                if lockedNow { self.record(.accountLocked, user: user, request.client, context) }
            }
            throw IdentityError.wrongCurrentPassword
        }
        let newPassword = request.newPassword
        let hash = try await self.hashing { try self.hasher.hash(newPassword) }
        guard let updated = try await self.users.changePassword(id: user.id, hash: hash, tokensValidAfterMilliseconds: self.revocationMoment())
        else { throw IdentityError.accountInactive }
        self.record(.passwordChanged, user: updated, request.client, context)
        return updated.wire
    }

    /// `full_name` and `email` (validated and normalised as at registration); absent fields stay.
    func updateProfile(_ request: WireUpdateProfileRequest) async throws -> WireUser {
        let fullName = request.hasFullName ? try self.rules.normalizedFullName(request.fullName) : nil
        let email = request.hasEmail ? try self.rules.normalizedEmail(request.email) : nil
        guard let user = try await self.users.updateProfile(id: request.userID, fullName: fullName, email: email) else {
            throw IdentityError.accountInactive
        }
        return user.wire
    }

    /// Soft delete: the account can no longer log in; its tokens and API keys die.
    func deactivateAccount(_ request: WireDeactivateAccountRequest, _ context: WireRequest) async throws -> WireUser {
        guard let user = try await self.users.deactivate(id: request.userID, tokensValidAfterMilliseconds: self.revocationMoment()) else {
            throw IdentityError.userNotFound
        }
        self.record(.accountDeactivated, user: user, request.client, context)
        return user.wire
    }
}
