/// The token service's Redis: the client and the key layout, with an outage reported as
/// ``TokenError/storeUnavailable`` (the operations answer it as "dependency unavailable", and the
/// access check as "not checked") whichever store met it.
struct RedisStore: Sendable {
    let client: RedisClient
    let keys: RedisKeyspace

    func command(_ arguments: [String]) async throws -> RedisValue {
        do {
            return try await self.client.command(arguments)
        } catch RedisError.connectionFailed {
            throw TokenError.storeUnavailable
        }
    }

    func run(_ script: RedisScript, keys: [String], arguments: [String]) async throws -> RedisValue {
        do {
            return try await script.run(on: self.client, keys: keys, arguments: arguments)
        } catch RedisError.connectionFailed {
            throw TokenError.storeUnavailable
        }
    }
}
