public import Logging
public import NIOCore
import NIOExtras
public import NIOPosix
import NIOSSL
public import ServiceLifecycle
import ServiceRuntime
import Synchronization
public import WireProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Serves framed requests on a Unix-domain socket (or TCP) and answers them through an
/// ``OperationDispatcher``.
///
/// Each connection carries many requests at once; each request runs in its own child task and
/// its answer is written when ready, so answers may leave out of order. On graceful shutdown the
/// server stops accepting, tells every connection it is draining, lets running requests finish
/// and answer, then closes and removes its socket file.
///
/// ```swift
/// let server = WireServer(configuration: .init(address: .unix(path: "/run/auth/identity.sock")),
///                         dispatcher: dispatcher, logger: logger)
/// let group = ServiceGroup(services: [pool, server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
public final class WireServer: Service, Sendable {
    public struct Configuration: Sendable {
        public var address: WireEndpointAddress
        /// The largest frame accepted or sent.
        public var maximumFrameLength: Int
        /// Requests running at once on one connection; beyond it a request is answered `overloaded`.
        public var maximumInFlightPerConnection: Int
        /// The budget of a request that arrives without a deadline.
        public var defaultDeadline: TimeAmount
        /// How long a drained connection waits for the client to close it.
        public var drainGrace: TimeAmount
        /// Who may call: the users allowed on a Unix socket, mutual TLS on TCP.
        public var security: BackendSecurity

        public init(
            address: WireEndpointAddress,
            maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength,
            maximumInFlightPerConnection: Int = 4096,
            defaultDeadline: TimeAmount = .seconds(30),
            drainGrace: TimeAmount = .seconds(1),
            security: BackendSecurity = .ownUser
        ) {
            self.address = address
            self.maximumFrameLength = maximumFrameLength
            self.maximumInFlightPerConnection = maximumInFlightPerConnection
            self.defaultDeadline = defaultDeadline
            self.drainGrace = drainGrace
            self.security = security
        }
    }

    public let configuration: Configuration
    private let dispatcher: OperationDispatcher
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let boundAddress = Mutex<SocketAddress?>(nil)

    public init(
        configuration: Configuration,
        dispatcher: OperationDispatcher,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.configuration = configuration
        self.dispatcher = dispatcher
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// The address the server is listening on once it runs (a TCP port chosen by the system included).
    public var localAddress: SocketAddress? { self.boundAddress.withLock { $0 } }

    public func run() async throws {
        let quiesce = ServerQuiescingHelper(group: self.eventLoopGroup)
        let draining = ServerDraining()
        let maximumFrameLength = self.configuration.maximumFrameLength
        let logger = self.logger
        let bootstrap = ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
        let address = self.configuration.address
        let allowedUIDs = self.configuration.security.allowedUIDs
        let tls = self.configuration.security.tls
        let refusals = self.refusals
        let initializer: @Sendable (any Channel) -> EventLoopFuture<NIOAsyncChannel<Frame, Frame>> = { channel in
            // Who connected, before a byte is read: over a Unix socket the kernel says which user.
            let admitted: EventLoopFuture<Bool>
            if case .unix = address {
                admitted = PeerCredentials.of(channel).map { peer in
                    guard allowedUIDs.contains(peer.uid) else {
                        if let skipped = refusals.admit() {
                            logger.warning(
                                "refused a connection: its user is not allowed (BACKEND_ALLOWED_UIDS)",
                                metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)", "similar_since_last_warning": "\(skipped)"]
                            )
                        }
                        return false
                    }
                    return true
                }.recover { _ in false }
            } else {
                admitted = channel.eventLoop.makeSucceededFuture(true)
            }
            return admitted.flatMapThrowing { admitted in
                // A refused connection is closed here rather than failing the initializer: a
                // failed initializer would end the accept loop for everyone.
                guard admitted else {
                    let wrapped = try NIOAsyncChannel<Frame, Frame>(synchronouslyWrapping: channel)
                    channel.close(promise: nil)
                    return wrapped
                }
                let operations = channel.pipeline.syncOperations
                if let tls, case .tcp = address {
                    // Mutual TLS: the caller must present a certificate of the deployment's CA.
                    try operations.addHandler(NIOSSLServerHandler(context: tls.serverContext))
                }
                // The decoder refuses an oversize length before buffering; the buffer cap is a second guard.
                try operations.addHandler(
                    ByteToMessageHandler(
                        FrameDecoder(maximumFrameLength: maximumFrameLength),
                        maximumBufferSize: maximumFrameLength + 4
                    )
                )
                try operations.addHandler(FrameEncoder(maximumFrameLength: maximumFrameLength))
                try operations.addHandler(WireProtocolErrorHandler(logger: logger))
                try operations.addHandler(ConnectionDrainHandler(server: draining))
                // Closed, not a crash, when dropped unserved: a connection accepted while the
                // accept loop is being cancelled never reaches `serve`, and NIO's non-deprecated
                // initializer traps when such a channel goes away ("Deinited NIOAsyncWriter
                // without calling finish()"). Served channels are still closed by executeThenClose.
                return try NIOAsyncChannel<Frame, Frame>(synchronouslyWrapping: channel)
            }
        }

        let server: NIOAsyncChannel<NIOAsyncChannel<Frame, Frame>, Never>
        switch self.configuration.address {
        case .unix(let path):
            try Self.prepareSocketDirectory(for: path)
            server = try await bootstrap.bind(
                unixDomainSocketPath: path,
                cleanupExistingSocketFile: true,
                childChannelInitializer: initializer
            )
            // Only the stack's user and group may connect (and then only allowed users are served).
            guard chmod(path, 0o660) == 0 else {
                let error = WireServerError.permissions(path: path, reason: "cannot set its mode to 0660 (errno \(errno))")
                try? await server.channel.close()
                throw error
            }
        case .tcp(let host, let port):
            server = try await bootstrap.bind(host: host, port: port, childChannelInitializer: initializer)
        }
        self.boundAddress.withLock { $0 = server.channel.localAddress }
        logger.info("listening", metadata: ["address": "\(self.configuration.address)"])

        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { connections in
                        for try await connection in connections {
                            // The connection's loop reads its frames and runs its requests: a
                            // frame goes from the socket to its handler without a thread hop.
                            group.addTask(executorPreference: EventLoopExecutor(connection.channel.eventLoop)) {
                                await self.serve(connection)
                            }
                        }
                    }
                } catch {
                    logger.error("accept loop failed", metadata: ["error": "\(error)"])
                }
            }
        } onGracefulShutdown: {
            logger.info("draining connections")
            // First the flag, then the events: a connection set up in between reads the flag.
            draining.start()
            quiesce.initiateShutdown(promise: nil)
        }

        if case .unix(let path) = self.configuration.address {
            unlink(path)
        }
        logger.info("stopped")
    }

    private func serve(_ connection: NIOAsyncChannel<Frame, Frame>) async {
        let inFlight = InFlightCounter()
        let limit = self.configuration.maximumInFlightPerConnection
        do {
            try await connection.executeThenClose { inbound, outbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await frame in inbound {
                        guard frame.header.kind == .request else { continue }
                        guard inFlight.enter(limit: limit) else {
                            try await outbound.write(
                                OperationDispatcher.errorFrame(answering: frame.header, status: .overloaded, message: "too many requests in flight")
                            )
                            continue
                        }
                        let request = self.makeRequest(frame)
                        // Runs on this connection's event loop: child tasks inherit the
                        // preference `run()` gave this task (see EventLoopExecutor).
                        group.addTask {
                            defer { inFlight.leave() }
                            guard let answer = await self.dispatcher.dispatch(request) else { return }
                            // A peer that went away cannot be answered; that is not our failure.
                            try? await outbound.write(answer)
                        }
                    }
                }
                // Draining, and everything answered. A request may still be on its way from a
                // client that has not read our notice yet: the drain handler answers it with
                // `shuttingDown` (safe to retry elsewhere) as long as the connection is open, so
                // let the client close first (it does once its own requests are answered).
                let closed = connection.channel.closeFuture
                let grace = self.configuration.drainGrace
                await withTaskGroup(of: Void.self) { wait in
                    wait.addTask { try? await closed.get() }
                    wait.addTask { try? await Task.sleep(for: .nanoseconds(grace.nanoseconds)) }
                    await wait.next()
                    wait.cancelAll()
                }
            }
        } catch {
            self.logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func makeRequest(_ frame: Frame) -> WireRequest {
        let budget =
            frame.header.deadlineMilliseconds == 0
            ? self.configuration.defaultDeadline : .milliseconds(Int64(frame.header.deadlineMilliseconds))
        return WireRequest(header: frame.header, payload: frame.payload, deadline: .now() + budget, logger: self.logger)
    }

    /// Warns at most once every ten seconds about refused callers.
    private let refusals = LogThrottle(intervalSeconds: 10)

    /// Creates the socket's directory when missing, and makes it enterable only by its owner and
    /// group (0750; a setgid bit, which shares the group with the sockets, is kept). A directory
    /// whose mode cannot be set stops the server with a message naming it.
    static func prepareSocketDirectory(for path: String) throws {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        let directory = String(path[..<slash])
        var components: [Substring] = []
        for part in directory.split(separator: "/") {
            components.append(part)
            let prefix = (directory.hasPrefix("/") ? "/" : "") + components.joined(separator: "/")
            if mkdir(prefix, 0o750) != 0 && errno != EEXIST {
                throw WireServerError.permissions(path: prefix, reason: "cannot create it (errno \(errno))")
            }
        }
        var status = Glibc.stat()
        guard Glibc.lstat(directory, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw WireServerError.permissions(path: directory, reason: "is not a directory")
        }
        let wanted = (status.st_mode & 0o7000) | 0o750
        if status.st_mode & 0o7777 != wanted, chmod(directory, wanted) != 0 {
            throw WireServerError.permissions(path: directory, reason: "cannot set its mode to 0750 (errno \(errno))")
        }
    }
}

/// Why a server could not start listening.
public enum WireServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The socket or its directory cannot be given the modes that keep other users out.
    case permissions(path: String, reason: String)

    public var description: String {
        switch self {
        case .permissions(let path, let reason): "socket \(path): \(reason)"
        }
    }
}

/// Requests running on one connection.
private final class InFlightCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts one more request unless `limit` are already running.
    func enter(limit: Int) -> Bool {
        guard self.count.add(1, ordering: .relaxed).newValue <= limit else {
            self.count.subtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func leave() {
        self.count.subtract(1, ordering: .relaxed)
    }
}
