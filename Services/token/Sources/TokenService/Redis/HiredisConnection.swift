internal import CHiredis
import ServiceSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One synchronous hiredis connection. The only file that imports `CHiredis`.
///
/// Every call blocks, so a connection is used only on a ``ServiceSupport/BlockingPool`` thread, by
/// one thread at a time. Commands go through the argv form: hiredis' variadic `redisCommand`
/// cannot be called from Swift, and argv keeps user data out of any format string.
final class HiredisConnection: BlockingConnection, @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, sets a socket timeout (a dead Redis must not hold a thread for ever), logs in and
    /// selects the database.
    init(endpoint: RedisEndpoint, timeoutMilliseconds: Int = 2000) throws(RedisError) {
        let timeout = timeval(tv_sec: timeoutMilliseconds / 1000, tv_usec: Int((timeoutMilliseconds % 1000) * 1000))
        let made: UnsafeMutablePointer<redisContext>?
        switch endpoint.address {
        case .tcp(let host, let port): made = redisConnectWithTimeout(host, Int32(port), timeout)
        case .unix(let path): made = redisConnectUnixWithTimeout(path, timeout)
        }
        guard let context = made else { throw .connectionFailed("cannot allocate a redis context") }
        if context.pointee.err != 0 {
            let message = Self.errorString(context)
            redisFree(context)
            throw .connectionFailed(message)
        }
        self.context = context
        redisSetTimeout(context, timeout)
        if let password = endpoint.password {
            let arguments = endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password]
            if case .error = try self.command(arguments) { throw .connectionFailed("AUTH refused") }
        }
        if endpoint.database != 0 {
            if case .error(let message) = try self.command(["SELECT", String(endpoint.database)]) {
                throw .connectionFailed("SELECT refused: \(message)")
            }
        }
    }

    deinit {
        redisFree(self.context)
    }

    /// Whether the connection has not failed.
    var isConnected: Bool { self.context.pointee.err == 0 }

    /// Sends one command and waits for its reply. An error reply comes back as `.error`, not thrown.
    ///
    /// - Throws: ``RedisError/connectionFailed(_:)`` when the connection breaks or times out.
    func command(_ arguments: [String]) throws(RedisError) -> RedisValue {
        try self.command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command of binary arguments.
    func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisValue {
        guard self.isConnected else { throw .connectionFailed(Self.errorString(self.context)) }
        var lengths = arguments.map { $0.count }
        // Keep each argument's bytes alive and contiguous for the call.
        let copies: [UnsafeMutablePointer<CChar>] = arguments.map { bytes in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, bytes.count))
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(pointer).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            return pointer
        }
        defer { copies.forEach { $0.deallocate() } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        let raw = pointers.withUnsafeMutableBufferPointer { argv in
            lengths.withUnsafeMutableBufferPointer { argvlen in
                redisCommandArgv(self.context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
            }
        }
        guard let raw else { throw .connectionFailed(Self.errorString(self.context)) }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.value(of: reply)
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

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
