import HummingbirdCore
import HummingbirdHTTP2
import Logging
import NIOCore
import NIOHTTP2
import NIOTLS

/// HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one clear-text port.
///
/// With no TLS there is no ALPN to choose the protocol, so the first bytes do: a client speaking
/// HTTP/2 starts with its connection preface (``HTTP2PrefaceDetector``). The choice is handed to
/// NIO's protocol negotiation handler as if ALPN had made it, and the connection continues as
/// Hummingbird's HTTP/1.1 or HTTP/2 channel, the same ones the TLS listener uses.
struct CleartextHTTPChannel: ServerChildChannel {
    typealias Negotiated = NIONegotiatedHTTPVersion<HTTP1Channel.Value, HTTP2Channel.Value>

    struct Value: ServerChildChannelValue {
        let negotiated: EventLoopFuture<Negotiated>
        let channel: any Channel
    }

    let http1: HTTP1Channel
    let http2: HTTP2Channel
    /// A connection that has not said which protocol it speaks by then is closed.
    let firstBytesTimeout: TimeAmount

    init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP2ChannelConfiguration, firstBytesTimeout: TimeAmount) {
        self.http1 = HTTP1Channel(responder: responder, configuration: configuration.streamConfiguration)
        self.http2 = HTTP2Channel(responder: responder, configuration: configuration)
        self.firstBytesTimeout = firstBytesTimeout
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let negotiation = NIOTypedApplicationProtocolNegotiationHandler<Negotiated> { result in
                switch result {
                case .negotiated("h2"): self.http2.setup(channel: channel, logger: logger).map { .http2($0) }
                default: self.http1.setup(channel: channel, logger: logger).map { .http1_1($0) }
                }
            }
            try channel.pipeline.syncOperations.addHandler(HTTP2PrefaceDetector(timeout: self.firstBytesTimeout))
            try channel.pipeline.syncOperations.addHandler(negotiation)
            return Value(negotiated: negotiation.protocolNegotiationResult, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            // A future's wait ignores cancellation: closing the channel ends it (the server's
            // task group is cancelled when a stop runs past its bound).
            let negotiated = try await withTaskCancellationHandler {
                try await value.negotiated.get()
            } onCancel: {
                value.channel.close(promise: nil)
            }
            switch negotiated {
            case .http1_1(let http1): await self.http1.handle(value: http1, logger: logger)
            case .http2(let http2): await self.http2.handle(value: http2, logger: logger)
            }
        } catch {
            logger.debug("connection closed before its protocol was known", metadata: ["error": "\(error)"])
        }
    }
}

/// Reads a connection's first bytes until they are, or cannot be, HTTP/2's connection preface,
/// then reports the protocol the way a TLS handshake reports ALPN's choice and steps aside,
/// passing on what it read.
final class HTTP2PrefaceDetector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var received: ByteBuffer?
    private var decided = false
    private var timeout: Scheduled<Void>?
    private let timeoutAmount: TimeAmount

    init(timeout: TimeAmount) {
        self.timeoutAmount = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        self.timeout = context.eventLoop.scheduleTask(in: self.timeoutAmount) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = self.unwrapInboundIn(data)
        guard !self.decided else { return context.fireChannelRead(data) }
        if self.received == nil { self.received = incoming } else { self.received?.writeBuffer(&incoming) }
        guard let received = self.received else { return }
        let count = min(received.readableBytes, Self.preface.count)
        guard let start = received.getBytes(at: received.readerIndex, length: count) else { return }
        if start[...] != Self.preface[..<count] {
            self.decide(context: context, http2: false)
        } else if count == Self.preface.count {
            self.decide(context: context, http2: true)
        }
    }

    /// A stop asks every connection to finish: one that has not yet said what it speaks has no
    /// request to finish, and would otherwise hold the stop until its first-bytes timeout.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !self.decided, event is ChannelShouldQuiesceEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timeout?.cancel()
        context.fireChannelInactive()
    }

    private func decide(context: ChannelHandlerContext, http2: Bool) {
        self.decided = true
        self.timeout?.cancel()
        context.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: http2 ? "h2" : nil))
        if let received = self.received {
            self.received = nil
            context.fireChannelRead(self.wrapInboundOut(received))
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
