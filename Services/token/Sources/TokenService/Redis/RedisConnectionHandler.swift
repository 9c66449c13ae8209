import NIOCore

/// A command on its way to Redis, with the promise its reply completes.
struct RedisCommand: Sendable {
    var arguments: [[UInt8]]
    var promise: EventLoopPromise<RedisValue>
}

/// Speaks RESP on one channel: commands go out formatted by hiredis, replies come back parsed by
/// hiredis' reader and complete the commands' promises in the order they were sent.
///
/// Commands pipeline: any number up to `maximumPending` are in flight at once, so one connection
/// per event loop serves every request on that loop without a hand-off to another thread.
/// Replies are ordered, so a reply that does not come in time cannot be skipped: after `timeout`
/// without the oldest reply (Redis stopped, or a network partition) the connection fails every
/// open command and closes; the client connects afresh on its next command.
final class RedisConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private struct Pending {
        var promise: EventLoopPromise<RedisValue>
        var deadline: NIODeadline
    }

    private let timeout: TimeAmount
    private let maximumPending: Int
    private let reader = Hiredis.Reader()
    private var pending = CircularBuffer<Pending>()
    private var timer: Scheduled<Void>?
    private var failure: RedisError?

    init(timeout: TimeAmount, maximumPending: Int) {
        self.timeout = timeout
        self.maximumPending = maximumPending
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = Self.unwrapOutboundIn(data)
        if let failure = self.failure {
            command.promise.fail(failure)
            promise?.fail(failure)
            return
        }
        guard self.pending.count < self.maximumPending else {
            command.promise.fail(RedisError.overloaded)
            promise?.fail(RedisError.overloaded)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64 + command.arguments.reduce(0) { $0 + $1.count + 16 })
        do {
            try Hiredis.format(command.arguments, into: &buffer)
        } catch {
            command.promise.fail(error)
            promise?.fail(error)
            return
        }
        self.pending.append(Pending(promise: command.promise, deadline: .now() + self.timeout))
        self.armTimer(context)
        context.write(Self.wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Self.unwrapInboundIn(data)
        do {
            try self.reader.feed(bytes)
            while let reply = try self.reader.next() {
                guard let head = self.pending.popFirst() else {
                    throw RedisError.unexpectedReply("a reply to no command")
                }
                head.promise.succeed(reply)
            }
        } catch {
            self.fail(context, error as? RedisError ?? .unexpectedReply("\(error)"))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.connectionFailed("connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a broken pipe: every open reply is lost.
        self.fail(context, .connectionFailed("\(error)"))
    }

    /// Keeps one timer, due at the oldest open command's deadline.
    private func armTimer(_ context: ChannelHandlerContext) {
        guard self.timer == nil, let oldest = self.pending.first else { return }
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: oldest.deadline) {
            self.timer = nil
            guard let oldest = self.pending.first else { return }
            if oldest.deadline <= .now() {
                self.fail(context, .connectionFailed("no reply within \(self.timeout.nanoseconds / 1_000_000) ms"))
            } else {
                self.armTimer(context)
            }
        }
    }

    private func fail(_ context: ChannelHandlerContext, _ error: RedisError) {
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RedisError) {
        if self.failure == nil { self.failure = error }
        self.timer?.cancel()
        self.timer = nil
        while let open = self.pending.popFirst() {
            open.promise.fail(error)
        }
    }
}

@available(*, unavailable)
extension RedisConnectionHandler: Sendable {}
