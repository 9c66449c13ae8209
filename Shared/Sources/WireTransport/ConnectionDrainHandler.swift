import NIOCore
import NIOExtras
import WireProtocol

/// Drains one server connection when the server shuts down gracefully.
///
/// On `ChannelShouldQuiesceEvent` (sent by `ServerQuiescingHelper`) it tells the peer with an
/// unsolicited `shuttingDown` frame (correlation id 0, like HTTP/2's GOAWAY) so the client stops
/// sending here, ends the inbound stream so no new work starts, and answers any request that
/// still arrives with `shuttingDown`, which a client may safely retry elsewhere. Requests already
/// running finish and are answered before the connection closes.
final class ConnectionDrainHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundOut = Frame

    private var draining = false

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
