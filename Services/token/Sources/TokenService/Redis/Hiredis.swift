internal import CHiredis
import NIOCore

/// hiredis' protocol code: its command formatter and its reply reader. The only file that
/// imports `CHiredis`.
///
/// The socket belongs to a NIO channel on an event loop (``RedisConnectionHandler``); hiredis
/// only turns arguments into RESP and RESP into replies, so no call here ever blocks.
enum Hiredis {
    /// Appends `arguments` as one RESP command (hiredis' `redisFormatCommandArgv`).
    ///
    /// The argv form keeps user data out of any format string, and binary arguments intact.
    static func format(_ arguments: [[UInt8]], into buffer: inout ByteBuffer) throws(RedisError) {
        // One contiguous copy of every argument (never empty, so it has a base address), and
        // each argument's offset and length into it.
        var storage: [UInt8] = [0]
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(arguments.count)
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(storage.count)
            lengths.append(argument.count)
            storage.append(contentsOf: argument)
        }
        var target: UnsafeMutablePointer<CChar>?
        let length: Int32 = storage.withUnsafeBufferPointer { bytes in
            guard let base = bytes.baseAddress else { return -1 }
            let start = UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { start + $0 }
            return argv.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisFormatCommandArgv(&target, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
        }
        guard length >= 0, let target else { throw .unexpectedReply("hiredis could not format a command") }
        defer { redisFreeCommand(target) }
        buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
    }

    /// hiredis' incremental reply parser: feed it bytes as they arrive, take whole replies out.
    ///
    /// Used by one channel handler on one event loop, so it is not `Sendable`.
    final class Reader {
        private let reader: UnsafeMutablePointer<redisReader>

        init() {
            // redisReaderCreate only fails when memory runs out; hiredis itself aborts then.
            guard let reader = redisReaderCreate() else { fatalError("hiredis: out of memory") }
            self.reader = reader
        }

        deinit {
            redisReaderFree(self.reader)
        }

        /// Hands received bytes to the parser.
        func feed(_ bytes: ByteBuffer) throws(RedisError) {
            let status = bytes.withUnsafeReadableBytes { raw in
                redisReaderFeed(self.reader, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
            }
            guard status == REDIS_OK else { throw .unexpectedReply(self.errorString) }
        }

        /// The next whole reply, or `nil` when more bytes are needed.
        ///
        /// - Throws: ``RedisError/unexpectedReply(_:)`` when the stream is not RESP.
        func next() throws(RedisError) -> RedisValue? {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(self.reader, &raw) == REDIS_OK else { throw .unexpectedReply(self.errorString) }
            guard let raw else { return nil }
            defer { freeReplyObject(raw) }
            return Self.value(of: raw.assumingMemoryBound(to: redisReply.self))
        }

        private var errorString: String {
            withUnsafeBytes(of: self.reader.pointee.errstr) { raw in
                "redis protocol error: " + String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }

        private static func value(of reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
            let pointee = reply.pointee
            switch pointee.type {
            case REDIS_REPLY_STRING:
                return .bulk(Self.bytes(pointee.str, pointee.len))
            case REDIS_REPLY_STATUS:
                return .status(String(decoding: Self.bytes(pointee.str, pointee.len), as: UTF8.self))
            case REDIS_REPLY_ERROR:
                return .error(String(decoding: Self.bytes(pointee.str, pointee.len), as: UTF8.self))
            case REDIS_REPLY_INTEGER:
                return .integer(pointee.integer)
            case REDIS_REPLY_ARRAY:
                guard let elements = pointee.element else { return .array([]) }
                return .array((0..<Int(pointee.elements)).compactMap { index in elements[index].map { Self.value(of: $0) } })
            default:
                return .null
            }
        }

        private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
            guard let pointer, length > 0 else { return [] }
            return Array(UnsafeRawBufferPointer(start: pointer, count: length).bindMemory(to: UInt8.self))
        }
    }
}
