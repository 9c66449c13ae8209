import NIOCore
import NIOEmbedded
import Testing

@testable import TokenService

@Suite("Redis connection handler")
struct RedisConnectionHandlerTests {
    static func command(_ channel: EmbeddedChannel, _ words: String...) -> EventLoopFuture<RedisValue> {
        let promise = channel.eventLoop.makePromise(of: RedisValue.self)
        channel.write(RedisCommand(arguments: words.map { Array($0.utf8) }, promise: promise), promise: nil)
        channel.flush()
        return promise.futureResult
    }

    @Test func beyondItsPipelineLimitACommandIsRefusedAtOnceAndRepliesKeepTheirOrder() throws {
        let channel = EmbeddedChannel(handler: RedisConnectionHandler(timeout: .seconds(10), maximumPending: 2))
        defer { _ = try? channel.finish() }
        let first = Self.command(channel, "PING")
        let second = Self.command(channel, "GET", "k")
        let third = Self.command(channel, "PING")
        #expect(throws: RedisError.overloaded) { try third.wait() }
        // Two commands went out, formatted as RESP.
        var written = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written += String(buffer: buffer) }
        #expect(written == "*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
        // Replies complete them in order, even split across reads.
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n$1\r"))
        try channel.writeInbound(ByteBuffer(string: "\nv\r\n"))
        #expect(try first.wait() == .status("PONG"))
        #expect(try second.wait().string == "v")
        // With room again, the next command is taken.
        let fourth = Self.command(channel, "PING")
        try channel.writeInbound(ByteBuffer(string: "+PONG\r\n"))
        #expect(try fourth.wait() == .status("PONG"))
    }
}
