import Hummingbird
import WireProtocol

/// Creating an account, as every register route does it: the per-IP limit (closed when the
/// limits cannot be checked), then identity's rules (password policy, username rules, unique
/// name and email). Routes only read their request shape and write their answer shape.
struct Registration: Sendable {
    let identity: IdentityClient
    let limits: RateLimits

    func register(_ message: WireRegisterRequest, _ request: Request, _ context: GatewayRequestContext) async throws
        -> (WireUser, WireRateLimitDecision?)
    {
        let ip = context.clientAddress
        let decision = try await self.limits.check(
            [self.limits.rule(RateLimits.addressKey("register", ip), self.limits.configuration.register)],
            failClosed: true,
            context: context
        )
        let user = try await RateLimits.reporting(decision) {
            try await BackendCall.run("identity") { try await self.identity.register(message, requestID: context.requestID) }
        }
        return (user, decision)
    }
}
