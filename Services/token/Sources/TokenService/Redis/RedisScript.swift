import ServiceRuntime
import Crypto
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A Lua script run by its SHA1 (`EVALSHA`), sent in full only when Redis does not have it yet
/// (`NOSCRIPT`, e.g. after a restart): one round trip in the common case.
public struct RedisScript: Sendable {
    public let source: String
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Hex.encode(Insecure.SHA1.hash(data: Data(source.utf8)))
    }

    public func run(on redis: RedisClient, keys: [String], arguments: [String]) async throws -> RedisValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await redis.command(["EVALSHA", self.sha1] + tail)
        } catch RedisError.server(let message) where message.hasPrefix("NOSCRIPT") {
            return try await redis.command(["EVAL", self.source] + tail)
        }
    }
}
