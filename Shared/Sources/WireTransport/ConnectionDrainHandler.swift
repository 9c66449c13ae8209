import NIOCore
import NIOExtras
import Synchronization
import WireProtocol

/// Drains one server connection when the server shuts down gracefully.
///
/// On `ChannelShouldQuiesceEvent` (sent by `ServerQuiescingHelper`) it tells the peer with an
/// unsolicited `shuttingDown` frame (correlation id 0, like HTTP/2's GOAWAY) so the client stops
/// sending here, ends the inbound stream so no new work starts, and answers any request that
/// still arrives with `shuttingDown`, which a client may safely retry elsewhere. Requests already
/// running finish and are answered before the connection closes.
///
/// A connection whose pipeline is set up while the server is already shutting down may never
/// see that event (the helper fires it as soon as it knows the channel, and the pipeline is
/// built after an asynchronous peer check); it would then stay open, unknown to the drain, and
/// hold the process until it is killed. So the handler also reads the server's
/// ``ServerDraining`` flag when it is added, and drains at once when it is set.
final class ConnectionDrainHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundOut = Frame

    private var draining = false
    private let server: ServerDraining

    init(server: ServerDraining) {
        self.server = server
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard self.server.isDraining else { return }
        // After the rest of the pipeline (the async channel's handler) is in place.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            guard context.channel.isActive else { return }
            handler.startDraining(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard self.draining else {
            context.fireChannelRead(data)
            return
        }
        let frame = Self.unwrapInboundIn(data)
        guard frame.header.kind == .request else { return }
        let answer = OperationDispatcher.errorFrame(answering: frame.header, status: .shuttingDown, message: "shutting down")
        context.writeAndFlush(Self.wrapOutboundOut(answer), promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        self.startDraining(context: context)
    }

    private func startDraining(context: ChannelHandlerContext) {
        guard !self.draining else { return }
        self.draining = true
        let goAway = OperationDispatcher.errorFrame(
            answering: FrameHeader(kind: .request, code: 0, correlationID: 0),
            status: .shuttingDown,
            message: "shutting down"
        )
        context.writeAndFlush(Self.wrapOutboundOut(goAway), promise: nil)
        context.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
    }
}

@available(*, unavailable)
extension ConnectionDrainHandler: Sendable {}

/// Set by a ``WireServer`` when its graceful shutdown starts, before it tells the connections.
final class ServerDraining: Sendable {
    private let flag = Atomic<Bool>(false)
    var isDraining: Bool { self.flag.load(ordering: .acquiring) }
    func start() { self.flag.store(true, ordering: .releasing) }
}
