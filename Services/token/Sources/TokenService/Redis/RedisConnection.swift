import NIOCore
import NIOPosix

/// One connection to Redis, owned by one event loop; commands pipeline on it.
///
/// Made by ``RedisClient``, which keeps each on its lane and replaces it when it closes.
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Whether the connection is still open; a closed one is replaced on the next command.
    var isActive: Bool { self.channel.isActive }

    /// Connects on `eventLoop`, logs in and selects the database.
    static func connect(
        to endpoint: RedisEndpoint,
        on eventLoop: any EventLoop,
        timeout: TimeAmount,
        maximumPending: Int
    ) -> EventLoopFuture<RedisConnection> {
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisConnectionHandler(timeout: timeout, maximumPending: maximumPending)
                    )
                }
            }
        let connected: EventLoopFuture<any Channel> =
            switch endpoint.address {
            case .tcp(let host, let port): bootstrap.connect(host: host, port: port)
            case .unix(let path): bootstrap.connect(unixDomainSocketPath: path)
            }
        return
            connected
            .flatMapErrorThrowing { error in throw RedisError.connectionFailed("\(error)") }
            .flatMap { channel in
                let connection = RedisConnection(channel: channel)
                return connection.logIn(endpoint)
                    .map { connection }
                    .flatMapErrorThrowing { error in
                        channel.close(promise: nil)
                        throw error
                    }
            }
    }

    /// Sends one command and returns its reply; an error reply comes back as `.error`.
    func send(_ arguments: [[UInt8]]) -> EventLoopFuture<RedisValue> {
        let promise = self.channel.eventLoop.makePromise(of: RedisValue.self)
        let written = self.channel.eventLoop.makePromise(of: Void.self)
        // A write that fails before the handler saw it (the channel closed) fails the command too;
        // a promise completes once, so the handler's own failure wins when it came first.
        written.futureResult.whenFailure { error in
            promise.fail(error as? RedisError ?? .connectionFailed("\(error)"))
        }
        self.channel.writeAndFlush(RedisCommand(arguments: arguments, promise: promise), promise: written)
        return promise.futureResult
    }

    private func logIn(_ endpoint: RedisEndpoint) -> EventLoopFuture<Void> {
        var steps: [(arguments: [String], refusal: String)] = []
        if let password = endpoint.password {
            steps.append((endpoint.username.map { ["AUTH", $0, password] } ?? ["AUTH", password], "AUTH refused"))
        }
        if endpoint.database != 0 {
            steps.append((["SELECT", String(endpoint.database)], "SELECT \(endpoint.database) refused"))
        }
        var done = self.channel.eventLoop.makeSucceededVoidFuture()
        for step in steps {
            done = done.flatMap {
                self.send(step.arguments.map { Array($0.utf8) }).flatMapThrowing { reply in
                    if case .error = reply { throw RedisError.connectionFailed(step.refusal) }
                }
            }
        }
        return done
    }
}
