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
        if self.emailVerification != .off {
            await self.sendVerification(to: user, cause: "registration", WireClientInfo(), context)
        }
        return user.wire
    }
}
