import Logging
import WireProtocol
import WireTransport

/// Registration: the rules first (cheap checks before any hashing), then one Argon2 hash and
/// one insert that the database keeps unique.
extension IdentityOperations {
    func registerRegistrationOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.register) { (request: WireRegisterRequest, context) in try await self.register(request, context) }
    }

    func register(_ request: WireRegisterRequest, _ context: WireRequest) async throws -> WireUser {
        try self.rules.checkUsername(request.username)
        let email = try self.rules.normalizedEmail(request.email)
        try self.rules.checkPassword(request.password, username: request.username, email: email)
        let fullName = request.hasFullName ? try self.rules.normalizedFullName(request.fullName) : nil
        let password = request.password
        let hash = try await self.hashing { try self.hasher.hash(password) }
        let user = try await self.users.create(
            NewUser(username: request.username, email: email, fullName: fullName, passwordHash: hash)
        )
        context.logger.info("user registered", metadata: ["user_id": "\(user.id)"])
        if let mail = self.accountMail, self.emailVerification != .off {
            // The account exists either way: a message that could not be queued is asked for again.
            do {
                try await mail.issue(.verifyEmail, to: user.email, for: user)
                self.record(.verificationRequested, user: user, WireClientInfo(), context, detail: ["outcome": "sent", "cause": "registration"])
            } catch {
                context.logger.warning("verification message not queued", metadata: ["user_id": "\(user.id)", "error": "\(error)"])
            }
        }
        return user.wire
    }
}
