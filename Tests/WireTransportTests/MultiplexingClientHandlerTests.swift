import NIOCore
import NIOEmbedded
import Testing
import WireProtocol
@testable import WireTransport

#if canImport(Glibc)
    import Glibc
#endif

@Suite("MultiplexingClientHandler")
struct MultiplexingClientHandlerTests {
    /// Fails every write as a socket whose peer has gone away does.
    final class BrokenPipe: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Frame
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            promise?.fail(IOError(errnoCode: EPIPE, reason: "write(descriptor:pointer:size:)"))
        }
    }

    /// A write that fails never reached the server: the caller is told so, and the pool may send
    /// the request elsewhere instead of answering with the socket's error.
    @Test func aFailedWriteIsAConnectionFailureNotASocketError() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            BrokenPipe(), MultiplexingClientHandler(maximumInFlight: 8, status: WireConnection.Status()),
        ])
        let answer = channel.eventLoop.makePromise(of: Frame.self)
        let request = WireClientRequest(
            operation: .ping,
            payload: ByteBuffer(),
            requestID: "",
            traceContext: "",
            timeout: .seconds(1),
            promise: answer,
            taken: RequestTaken()
        )
        channel.writeAndFlush(request, promise: nil)
        var failure: (any Error)?
        answer.futureResult.whenFailure { failure = $0 }
        channel.embeddedEventLoop.run()
        guard case .connectionFailed = failure as? WireError else {
            Issue.record("expected WireError.connectionFailed, got \(String(describing: failure))")
            return
        }
        _ = try? channel.finish()
    }
}
