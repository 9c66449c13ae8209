public import Logging
public import ServiceSupport

/// Redis for the token service: hiredis connections behind a ``BlockingConnectionPool``.
///
/// Every call is one command and one round trip on a pool thread, never on an event loop; a
/// connection broken by a Redis restart is dropped and the next call connects again.
public final class RedisClient: Sendable {
    public let endpoint: RedisEndpoint
    private let connections: BlockingConnectionPool<HiredisConnection>
    private let logger: Logger

    public init(endpoint: RedisEndpoint, size: Int, blockingPool: BlockingPool, timeoutMilliseconds: Int = 2000, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
        self.connections = BlockingConnectionPool(size: size, blockingPool: blockingPool) {
            try HiredisConnection(endpoint: endpoint, timeoutMilliseconds: timeoutMilliseconds)
        }
    }

    /// Sends one command; an error reply is thrown as ``RedisError/server(_:)``.
    public func command(_ arguments: [String]) async throws -> RedisValue {
        try await self.command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command of binary arguments; an error reply is thrown as ``RedisError/server(_:)``.
    public func command(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let reply: RedisValue
        do {
            reply = try await self.connections.withConnection { try $0.command(arguments) }
        } catch let error as RedisError {
            self.logger.warning("redis unreachable", metadata: ["error": "\(error)"])
            throw error
        }
        if case .error(let message) = reply { throw RedisError.server(message) }
        return reply
    }
}
