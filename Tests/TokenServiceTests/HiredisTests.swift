import NIOCore
import Testing
@testable import TokenService

/// hiredis' formatter and reader, as the Redis connection handler uses them.
@Suite("RESP through hiredis")
struct HiredisTests {
    @Test func commandsAreFormattedAsRESPArraysOfBulkStrings() throws {
        var buffer = ByteBuffer()
        try Hiredis.format([Array("SET".utf8), Array("k".utf8), [0, 13, 10], []], into: &buffer)
        #expect(Array(buffer.readableBytesView) == Array("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n".utf8) + [0, 13, 10] + Array("\r\n$0\r\n\r\n".utf8))
    }

    @Test func repliesAreParsedWhenWholeHoweverTheBytesArrive() throws {
        let stream = Array("+OK\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n-ERR wrong\r\n*2\r\n*1\r\n:1\r\n$0\r\n\r\n*0\r\n".utf8)
        let expected: [RedisValue] = [
            .status("OK"), .integer(-42), .bulk(Array("he\r\no".utf8)), .null, .error("ERR wrong"),
            .array([.array([.integer(1)]), .bulk([])]), .array([]),
        ]
        // All at once, and one byte at a time.
        for chunkSize in [stream.count, 1] {
            let reader = Hiredis.Reader()
            var replies: [RedisValue] = []
            var offset = 0
            while offset < stream.count {
                let chunk = ByteBuffer(bytes: stream[offset..<min(offset + chunkSize, stream.count)])
                try reader.feed(chunk)
                while let reply = try reader.next() { replies.append(reply) }
                offset += chunkSize
            }
            #expect(replies == expected)
        }
    }

    @Test func aStreamThatIsNotRESPIsAnError() throws {
        let reader = Hiredis.Reader()
        try reader.feed(ByteBuffer(string: "HTTP/1.1 200 OK\r\n"))
        #expect(throws: RedisError.self) { _ = try reader.next() }
    }
}
