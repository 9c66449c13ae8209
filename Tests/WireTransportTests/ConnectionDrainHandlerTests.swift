import NIOCore
import NIOEmbedded
import Testing
import WireProtocol
@testable import WireTransport

/// A connection whose pipeline is built after the server began to shut down drains at once,
/// without waiting for an event it may never get.
@Suite("ConnectionDrainHandler")
struct ConnectionDrainHandlerTests {
    /// Records the events that pass the drain handler.
    final class Events: ChannelInboundHandler {
        typealias InboundIn = Frame
        var inputClosed = false
        var reads = 0
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case .some(.inputClosed) = event as? ChannelEvent { self.inputClosed = true }
        }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { self.reads += 1 }
    }

    static func request() -> Frame {
        Frame(header: FrameHeader(kind: .request, code: 102, correlationID: 4), payload: ByteBuffer())
    }

    @Test func addedWhileTheServerDrainsItTellsThePeerAndEndsInput() throws {
        let server = ServerDraining()
        server.start()
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let events = Events()
        try channel.pipeline.syncOperations.addHandlers([ConnectionDrainHandler(server: server), events])
        channel.embeddedEventLoop.run()
        let goAway = try #require(try channel.readOutbound(as: Frame.self))
        #expect(goAway.header.correlationID == 0)
        #expect(goAway.header.code == WireStatus.shuttingDown.rawValue)
        #expect(events.inputClosed)
        // A request that still comes is answered "shutting down", not served.
        try channel.writeInbound(Self.request())
        let answer = try #require(try channel.readOutbound(as: Frame.self))
        #expect(answer.header.correlationID == 4)
        #expect(answer.header.code == WireStatus.shuttingDown.rawValue)
        #expect(events.reads == 0)
    }

    @Test func addedBeforeTheDrainItServesUntilTold() throws {
        let server = ServerDraining()
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        let events = Events()
        try channel.pipeline.syncOperations.addHandlers([ConnectionDrainHandler(server: server), events])
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: Frame.self) == nil)
        try channel.writeInbound(Self.request())
        #expect(events.reads == 1)
        server.start()
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(try channel.readOutbound(as: Frame.self)?.header.correlationID == 0)
        #expect(events.inputClosed)
    }
}
