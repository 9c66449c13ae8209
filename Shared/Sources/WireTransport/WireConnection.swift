public import NIOCore
public import NIOPosix
import NIOSSL
import Synchronization
public import SwiftProtobuf
public import WireProtocol

/// One client connection to a service instance, carrying many requests at once.
///
/// ```swift
/// let connection = try await WireConnection.connect(to: .unix(path: "/run/auth/token-1.sock"))
/// let reply = try await connection.request(.ready, WireEmpty(), as: WireReadyReply.self, timeout: .seconds(1))
/// ```
public final class WireConnection: Sendable {
    /// What the connection's handler reports to the outside: draining, closed, requests in flight.
    final class Status: Sendable {
        private let draining = Atomic<Bool>(false)
        private let closed = Atomic<Bool>(false)
        private let inFlight = Atomic<Int>(0)

        var isDraining: Bool { self.draining.load(ordering: .relaxed) }
        var isClosed: Bool { self.closed.load(ordering: .relaxed) }
        var requestsInFlight: Int { self.inFlight.load(ordering: .relaxed) }
        func markDraining() { self.draining.store(true, ordering: .relaxed) }
        func markClosed() { self.closed.store(true, ordering: .relaxed) }
        func setInFlight(_ count: Int) { self.inFlight.store(count, ordering: .relaxed) }
    }

    public let address: WireEndpointAddress
    let channel: any Channel
    let status: Status

    init(address: WireEndpointAddress, channel: any Channel, status: Status) {
        self.address = address
        self.channel = channel
        self.status = status
    }

    /// Whether new requests may be sent: open and not draining.
    public var isUsable: Bool { self.channel.isActive && !self.status.isClosed && !self.status.isDraining }

    /// Connects to `address`.
    ///
    /// - Throws: ``WireError/connectionFailed(endpoint:reason:)`` when nothing answers there.
    /// - Parameter security: over a Unix socket, the users the server may run as; over TCP, the
    ///   mutual TLS to speak (when configured).
    public static func connect(
        to address: WireEndpointAddress,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength,
        maximumInFlight: Int = 4096,
        connectTimeout: TimeAmount = .seconds(1),
        security: BackendSecurity = .ownUser
    ) -> EventLoopFuture<WireConnection> {
        let status = Status()
        let tls = security.tls
        let bootstrap = ClientBootstrap(group: eventLoopGroup)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if let tls, case .tcp = address {
                        try operations.addHandler(try NIOSSLClientHandler(context: tls.clientContext, serverHostname: nil))
                    }
                    try operations.addHandler(
                        ByteToMessageHandler(
                            FrameDecoder(maximumFrameLength: maximumFrameLength),
                            maximumBufferSize: maximumFrameLength + 4
                        )
                    )
                    try operations.addHandler(FrameEncoder(maximumFrameLength: maximumFrameLength))
                    try operations.addHandler(MultiplexingClientHandler(maximumInFlight: maximumInFlight, status: status))
                }
            }
        let socketAddress: SocketAddress
        do {
            socketAddress = try address.socketAddress()
        } catch {
            return eventLoopGroup.next().makeFailedFuture(
                WireError.connectionFailed(endpoint: address.description, reason: "\(error)")
            )
        }
        let allowedUIDs = security.allowedUIDs
        return bootstrap.connect(to: socketAddress)
            .flatMap { channel -> EventLoopFuture<any Channel> in
                guard case .unix = address else { return channel.eventLoop.makeSucceededFuture(channel) }
                // Talk only to a server running as an allowed user: a socket someone else put
                // in place would otherwise receive our requests.
                return PeerCredentials.of(channel).flatMapThrowing { peer in
                    guard allowedUIDs.contains(peer.uid) else {
                        channel.close(promise: nil)
                        throw PeerCredentialsError.refused(uid: peer.uid)
                    }
                    return channel
                }
            }
            .map { WireConnection(address: address, channel: $0, status: status) }
            .flatMapErrorThrowing { error in
                throw WireError.connectionFailed(endpoint: address.description, reason: "\(error)")
            }
    }

    /// Sends one request and waits for its answer.
    ///
    /// - Returns: the answer's payload.
    /// - Throws: ``WireError/remote(status:message:metadata:)`` for an error answer, ``WireError/deadlineExceeded``,
    ///   ``WireError/connectionClosed`` when the connection dies with the request in flight.
    public func request(
        _ operation: WireOperation,
        payload: ByteBuffer,
        requestID: String = "",
        traceContext: String = "",
        timeout: TimeAmount
    ) async throws -> ByteBuffer {
        let promise = self.channel.eventLoop.makePromise(of: Frame.self)
        let taken = RequestTaken()
        let request = WireClientRequest(
            operation: operation,
            payload: payload,
            requestID: requestID,
            traceContext: traceContext,
            timeout: timeout,
            promise: promise,
            taken: taken
        )
        let written = self.channel.eventLoop.makePromise(of: Void.self)
        let address = self.address
        written.futureResult.whenFailure { error in
            // The channel closed before the handler saw the request: nothing was sent.
            if !taken.value {
                promise.fail(WireError.connectionFailed(endpoint: address.description, reason: "closed before the request was sent"))
            }
        }
        self.channel.writeAndFlush(request, promise: written)
        return try await promise.futureResult.get().answerPayload()
    }

    /// Sends a protobuf request and decodes the protobuf answer.
    public func request<Response: Message>(
        _ operation: WireOperation,
        _ message: some Message,
        as response: Response.Type,
        requestID: String = "",
        timeout: TimeAmount
    ) async throws -> Response {
        let payload = try await self.request(
            operation,
            payload: WirePayload.encode(message, allocator: self.channel.allocator),
            requestID: requestID,
            timeout: timeout
        )
        return try WirePayload.decode(Response.self, from: payload)
    }

    /// Starts closing the connection without waiting for it (from synchronous code).
    public func close(promise: EventLoopPromise<Void>?) {
        self.channel.close(promise: promise)
    }

    /// Closes the connection; requests in flight fail with ``WireError/connectionClosed``.
    public func close() async {
        try? await self.channel.close()
    }
}
