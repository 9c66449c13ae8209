import Logging
import NIOCore
import WireProtocol

/// Answers a frame that cannot be decoded with one `malformedFrame` error frame, then closes.
///
/// Like NIOHTTP1's `HTTPServerProtocolErrorHandler`: after a framing error the byte stream can no
/// longer be trusted, so there is nothing to resynchronise on; one answer tells the peer why.
final class WireProtocolErrorHandler: ChannelInboundHandler {
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundOut = Frame

    private let logger: Logger
    private var answered = false

    init(logger: Logger) {
        self.logger = logger
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let wireError = error as? WireError else {
            context.fireErrorCaught(error)
            return
        }
        self.logger.warning("closing connection after a malformed frame", metadata: ["error": "\(wireError)"])
        guard !self.answered else { return }
        self.answered = true
        let header = FrameHeader(kind: .request, code: 0, correlationID: 0)
        let frame = OperationDispatcher.errorFrame(answering: header, status: .malformedFrame, message: wireError.description)
        context.writeAndFlush(Self.wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension WireProtocolErrorHandler: Sendable {}
