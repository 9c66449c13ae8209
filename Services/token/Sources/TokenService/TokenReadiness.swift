import Logging
import WireProtocol
import WireTransport

/// Answers `ready`: Redis answers `PING`.
struct TokenReadiness: Sendable {
    let redis: RedisClient
    let instance: String

    func check(_ request: WireRequest) async -> WireReadyReply {
        var check = WireDependencyCheck()
        check.name = "redis"
        do {
            let reply = try await self.redis.command(["PING"])
            check.ok = reply.string == "PONG"
            if !check.ok { check.detail = "unexpected answer to PING" }
        } catch let error as RedisError {
            check.ok = false
            if case .connectionFailed = error { check.detail = "unreachable" } else { check.detail = "command failed" }
            request.logger.warning("redis not ready", metadata: ["error": "\(error)"])
        } catch {
            check.ok = false
            check.detail = "\(error)"
        }
        var reply = WireReadyReply()
        reply.ready = check.ok
        reply.checks = [check]
        reply.instance = self.instance
        return reply
    }
}
