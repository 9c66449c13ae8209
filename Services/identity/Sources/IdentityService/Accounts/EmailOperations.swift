import Logging
import WireProtocol
import WireTransport

/// The account's email: asking for a verification or reset message, and using its code or link.
///
/// A code or link is checked against the keyed hashes of the user's live challenge
/// (``ChallengeStore``) and consumed once; a code allows ``AccountMail/codeAttempts`` guesses.
/// A challenge is good only while the address it was sent to is still the user's.
extension IdentityOperations {
    func registerEmailOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.requestAccountChallenge) { (request: WireAccountChallengeRequest, context) in
            try self.requestAccountChallenge(request, context)
        }
        dispatcher.on(.resetPassword) { (request: WireResetPasswordRequest, context) in try await self.resetPassword(request, context) }
        dispatcher.on(.verifyEmail) { (request: WireVerifyEmailRequest, context) in try await self.verifyEmail(request, context) }
    }

    /// Answers at once, the same for every address (``ChallengeRequests`` does the work); only an
    /// address that cannot be one is refused, as registration refuses it.
    func requestAccountChallenge(_ request: WireAccountChallengeRequest, _ context: WireRequest) throws -> WireEmpty {
        guard let requests = self.challengeRequests else { throw IdentityError.emailNotConfigured }
        guard let purpose = AccountChallenge.Purpose(rawValue: request.purpose) else {
            throw IdentityError.invalidField(field: "purpose", reason: "must be verify_email or reset_password")
        }
        let email = try self.rules.normalizedEmail(request.email)
        requests.submit(.init(email: email, purpose: purpose, client: request.client, requestID: context.header.requestID))
        return WireEmpty()
    }

    /// A new password by the link's token, or by the address and its code. The policy's general
    /// rules are checked before anything is looked up, the rest (not the username, not the
    /// address) once the token or code is known to be right, before it is consumed: a refused
    /// password leaves the link usable. Success: the new hash, every token and API key of the
    /// user dead, the lock cleared, a notice to the address; nobody logged in.
    func resetPassword(_ request: WireResetPasswordRequest, _ context: WireRequest) async throws -> WireUser {
        guard let mail = self.accountMail else { throw IdentityError.emailNotConfigured }
        try self.rules.checkPassword(request.password, field: "password")
        let user: UserRecord
        let consume: @Sendable () async throws -> String?
        if !request.token.isEmpty {
            guard AccountChallenge.isToken(request.token) else { throw IdentityError.badResetToken }
            let digest = mail.tokenDigest(request.token, purpose: .resetPassword)
            guard let challenge = try await mail.challenges.find(tokenDigest: digest, purpose: .resetPassword),
                let owner = try await self.users.find(id: challenge.userID), owner.canLogIn,
                owner.email.lowercased() == challenge.email.lowercased()
            else {
                self.record(.accountChallengeFailed, user: nil, request.client, context, detail: ["purpose": "reset_password", "by": "link"])
                throw IdentityError.badResetToken
            }
            user = owner
            consume = {
                try await mail.challenges.consume(tokenDigest: digest, purpose: .resetPassword).flatMap { $0.userID == owner.id ? $0.email : nil }
            }
        } else {
            let owner = try await self.challengeOwner(
                email: request.email,
                code: request.code,
                purpose: .resetPassword,
                mail: mail,
                request.client,
                context
            )
            guard let owner else { throw IdentityError.badResetToken }
            let digest = mail.codeDigest(request.code, userID: owner.id, purpose: .resetPassword)
            user = owner
            consume = { try await mail.challenges.consume(userID: owner.id, codeDigest: digest, purpose: .resetPassword) }
        }
        try self.rules.checkPassword(request.password, field: "password", username: user.username, email: user.email)
        // The mailbox alone does not reset an account a second factor guards.
        try await self.requireSecondFactorIfEnabled(request.factor, of: user, request.client, context)
        let password = request.password
        let hash = try await self.hashing { try self.hasher.hash(password) }
        // The address is checked again in the write itself: it may have changed while the new
        // password was hashed, and a reset sent to a former address must not land.
        guard let sentTo = try await consume(),
            let updated = try await self.users.resetPassword(
                id: user.id,
                email: sentTo,
                hash: hash,
                tokensValidAfterMilliseconds: self.revocationMoment()
            )
        else { throw IdentityError.badResetToken }
        self.record(.passwordReset, user: updated, request.client, context)
        await self.sendNotice(.passwordChanged, to: updated.email, for: updated, request.client, context)
        return updated.wire
    }

    /// Marks the address verified, by the link's token or by the address and its code.
    func verifyEmail(_ request: WireVerifyEmailRequest, _ context: WireRequest) async throws -> WireUser {
        guard let mail = self.accountMail else { throw IdentityError.emailNotConfigured }
        let userID: Int64
        let sentTo: String
        if !request.token.isEmpty {
            guard AccountChallenge.isToken(request.token),
                let challenge = try await mail.challenges.consume(
                    tokenDigest: mail.tokenDigest(request.token, purpose: .verifyEmail),
                    purpose: .verifyEmail
                )
            else {
                self.record(.accountChallengeFailed, user: nil, request.client, context, detail: ["purpose": "verify_email", "by": "link"])
                throw IdentityError.badVerifyToken
            }
            (userID, sentTo) = challenge
        } else {
            let owner = try await self.challengeOwner(
                email: request.email,
                code: request.code,
                purpose: .verifyEmail,
                mail: mail,
                request.client,
                context
            )
            guard let owner else { throw IdentityError.badVerifyToken }
            let digest = mail.codeDigest(request.code, userID: owner.id, purpose: .verifyEmail)
            guard let email = try await mail.challenges.consume(userID: owner.id, codeDigest: digest, purpose: .verifyEmail) else {
                throw IdentityError.badVerifyToken
            }
            (userID, sentTo) = (owner.id, email)
        }
        guard let user = try await self.users.find(id: userID), user.canLogIn, user.email.lowercased() == sentTo.lowercased() else {
            throw IdentityError.badVerifyToken
        }
        guard !user.isVerified else { throw IdentityError.alreadyVerified }
        guard let verified = try await self.users.markVerified(id: userID, email: sentTo) else { throw IdentityError.badVerifyToken }
        self.record(.emailVerified, user: verified, request.client, context)
        return verified.wire
    }

    /// The account whose address is `email` when `code` is its live code for `purpose` (an attempt
    /// used either way); `nil` for anything else, a wrong code audited. An address no account has
    /// costs the same statement (on no row), so the time taken tells nothing about the address.
    func challengeOwner(
        email: String,
        code: String,
        purpose: AccountChallenge.Purpose,
        mail: AccountMail,
        _ client: WireClientInfo,
        _ context: WireRequest
    ) async throws -> UserRecord? {
        guard AccountChallenge.isCode(code) else { return nil }
        let address = try? self.rules.normalizedEmail(email)
        var found: UserRecord?
        if let address { found = try await self.users.find(email: address) }
        let owner = found?.canLogIn == true ? found : nil
        let userID = owner?.id ?? 0
        let digest = mail.codeDigest(code, userID: userID, purpose: purpose)
        let hit = try await mail.challenges.checkCode(userID: userID, codeDigest: digest, purpose: purpose, maximumAttempts: AccountMail.codeAttempts)
        guard let owner, hit else {
            self.record(.accountChallengeFailed, user: owner, client, context, detail: ["purpose": purpose.rawValue, "by": "code"])
            return nil
        }
        return owner
    }

    /// Sends `user` a verification message when mail is set up and the address's limits allow
    /// (a registration or a change of address may be repeated to flood an address, or to get
    /// fresh codes). The account exists either way: a message not sent is asked for again.
    func sendVerification(to user: UserRecord, cause: String, _ client: WireClientInfo, _ context: WireRequest) async {
        guard let mail = self.accountMail else { return }
        do {
            guard try await mail.admitSend(to: user.email, purpose: AccountChallenge.Purpose.verifyEmail.rawValue) else {
                return self.record(.verificationRequested, user: user, client, context, detail: ["outcome": "limited", "cause": cause])
            }
            try await mail.issue(.verifyEmail, to: user.email, for: user)
            self.record(.verificationRequested, user: user, client, context, detail: ["outcome": "sent", "cause": cause])
        } catch {
            context.logger.warning("verification message not queued", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }

    /// Queues a notice about the account when mail is set up and the address's limits for the
    /// notice allow; a notice that cannot be queued is logged, and what it tells has happened anyway.
    func sendNotice(_ letter: MailTemplates.Letter, to email: String, for user: UserRecord, _ client: WireClientInfo, _ context: WireRequest) async {
        guard let mail = self.accountMail else { return }
        do {
            guard try await mail.admitSend(to: email, purpose: letter.rawValue) else {
                return self.record(.accountNoticeQueued, user: user, client, context, detail: ["letter": letter.rawValue, "outcome": "limited"])
            }
            try await mail.notify(letter, to: email, for: user)
            self.record(.accountNoticeQueued, user: user, client, context, detail: ["letter": letter.rawValue])
        } catch {
            context.logger.warning("account notice not queued", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
        }
    }
}
