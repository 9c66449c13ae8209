import ServiceTesting
import Foundation
import Logging
import NIOCore
import Testing
@testable import TokenService

/// The event-loop Redis client against real Redis servers: pipelining, login, a hung server.
@Suite("Redis client on the event loops")
struct RedisClientTests {
    static func client(_ endpoint: RedisEndpoint, connections: Int = 1, timeout: TimeAmount = .seconds(2), maximumPending: Int = 4096) -> RedisClient
    {
        var logger = Logger(label: "redis-client-test")
        logger.logLevel = .critical
        return RedisClient(endpoint: endpoint, connections: connections, timeout: timeout, maximumPending: maximumPending, logger: logger)
    }

    /// The error a PING ends with, or nil when it was answered.
    static func failure(of redis: RedisClient) async -> RedisError? {
        do {
            _ = try await redis.command(["PING"])
            return nil
        } catch {
            return error as? RedisError
        }
    }

    @Test func manyCommandsInFlightOnOneConnectionEachGetTheirOwnReply() async throws {
        // A generous timeout: this checks that replies match, and the suite shares Redis and both cores.
        let redis = Self.client(try RedisEndpoint(url: TestServices.redisURL), timeout: .seconds(15))
        defer { redis.close() }
        let key = "test-pipeline-\(UUID().uuidString)"
        let replies = try await withThrowingTaskGroup(of: (Int, RedisValue).self) { group in
            for index in 0..<500 {
                group.addTask { (index, try await redis.command(["ECHO", "reply-\(index)"])) }
            }
            var replies: [Int: RedisValue] = [:]
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
        #expect(replies.count == 500)
        #expect(replies.allSatisfy { $0.value.string == "reply-\($0.key)" }, "every caller gets the reply to its own command")

        // Binary arguments survive the trip; integer, null and array replies decode.
        let binary: [UInt8] = [0, 13, 10, 255, 36, 42]
        _ = try await redis.command([Array("SET".utf8), Array(key.utf8), binary])
        #expect(try await redis.command(["GET", key]) == .bulk(binary))
        #expect(try await redis.command(["DEL", key]) == .integer(1))
        #expect(try await redis.command(["GET", key]) == .null)
        #expect(
            try await redis.command(["EVAL", "return {1, 'two', {3}}", "0"])
                == .array([.integer(1), .bulk(Array("two".utf8)), .array([.integer(3)])])
        )
        let refused = await #expect(throws: RedisError.self) { _ = try await redis.command(["NOSUCHCOMMAND"]) }
        if case .server(let message) = refused {
            #expect(message.hasPrefix("ERR unknown command"))
        } else {
            Issue.record("an error reply is thrown as .server, got \(String(describing: refused))")
        }
        #expect(try await redis.command(["PING"]) == .status("PONG"), "an error reply leaves the connection usable")
    }

    @Test func thePasswordAndDatabaseOfTheURLAreUsedAndAWrongPasswordIsRefused() async throws {
        let server = try await PrivateRedis(password: "s3cret-pass")
        let key = "test-db-\(UUID().uuidString)"
        let redis = Self.client(RedisEndpoint(address: .unix(path: server.socket), password: "s3cret-pass", database: 3))
        defer { redis.close() }
        _ = try await redis.command(["SET", key, "in-three"])
        #expect(try await server.cli(["-n", "3", "GET", key]).contains("in-three"))
        #expect(!(try await server.cli(["-n", "0", "GET", key]).contains("in-three")))

        let intruder = Self.client(RedisEndpoint(address: .unix(path: server.socket), password: "wrong", database: 0))
        defer { intruder.close() }
        await #expect(throws: RedisError.connectionFailed("AUTH refused")) { _ = try await intruder.command(["PING"]) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aHungRedisFailsCommandsWithinTheTimeoutAndTheClientRecoversWhenItAnswersAgain() async throws {
        let server = try await PrivateRedis()
        let redis = Self.client(RedisEndpoint(address: .unix(path: server.socket)), timeout: .milliseconds(300), maximumPending: 2)
        defer { redis.close() }
        // The short timeout is for the hung server below; while the suite loads both cores, the
        // first answer of a fresh Redis may take longer, so ask until it comes.
        var up = false
        for _ in 0..<40 where !up {
            up = (try? await redis.command(["PING"])) == .status("PONG")
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(up)

        server.pause()
        let clock = ContinuousClock()
        let started = clock.now
        // (A full pipeline refusing more at once is tested on the handler itself, where the order
        // of events does not depend on the machine's load: RedisConnectionHandlerTests.)
        async let first = Self.failure(of: redis)
        async let second = Self.failure(of: redis)
        for failure in await [first, second] {
            guard case .connectionFailed = failure else {
                Issue.record("a command to a hung Redis ended with \(String(describing: failure))")
                continue
            }
        }
        // The timeout is 300 ms; a loaded full run measured 3.3 s once: the bound is "not left waiting".
        #expect(clock.now - started < .seconds(6), "given up after the timeout, not left waiting")

        server.resume()
        var answered = false
        for _ in 0..<50 where !answered {
            answered = (try? await redis.command(["PING"])) == .status("PONG")
            if !answered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(answered, "a new connection is made once Redis answers again")
    }
}
