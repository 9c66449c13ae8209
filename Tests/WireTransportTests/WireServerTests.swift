import InMemoryLogging
import Logging
import NIOCore
import NIOPosix
import Testing
import WireProtocol
import WireTesting
import WireTransport

@Suite("WireServer")
struct WireServerTests {
    static let echo = WireOperation(rawValue: 900)
    static let slow = WireOperation(rawValue: 901)

    static func dispatcher() -> OperationDispatcher {
        var dispatcher = OperationDispatcher.alwaysReady()
        dispatcher.on(Self.echo, raw: { request in request.payload })
        dispatcher.on(
            Self.slow,
            raw: { request in
                try await Task.sleep(for: .milliseconds(300))
                return request.payload
            }
        )
        return dispatcher
    }

    @Test func answersPingAndReady() async throws {
        try await withWireServer(dispatcher: Self.dispatcher()) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: .seconds(10))
            let ready = try await connection.request(.ready, WireEmpty(), as: WireReadyReply.self, timeout: .seconds(10))
            #expect(ready.ready)
            await connection.close()
        }
    }

    @Test func requestsRunOnTheirConnectionsEventLoop() async throws {
        // A handler that says which thread it ran on: an event loop's, or not.
        var dispatcher = Self.dispatcher()
        dispatcher.on(
            WireOperation(rawValue: 903),
            raw: { _ in
                ByteBuffer(string: MultiThreadedEventLoopGroup.currentEventLoop == nil ? "elsewhere" : "event loop")
            }
        )
        try await withWireServer(dispatcher: dispatcher) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            for _ in 0..<20 {
                let answer = try await connection.request(WireOperation(rawValue: 903), payload: ByteBuffer(), timeout: .seconds(10))
                #expect(String(buffer: answer) == "event loop")
            }
            await connection.close()
        }
    }

    @Test func unknownOperationGetsAnErrorAndTheConnectionStays() async throws {
        try await withWireServer(dispatcher: Self.dispatcher()) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            await #expect(throws: WireError.remote(status: .unknownOperation, message: "unknown operation 4242")) {
                _ = try await connection.request(WireOperation(rawValue: 4242), payload: ByteBuffer(), timeout: .seconds(10))
            }
            let echoed = try await connection.request(Self.echo, payload: ByteBuffer(string: "still here"), timeout: .seconds(10))
            #expect(String(buffer: echoed) == "still here")
            await connection.close()
        }
    }

    @Test func malformedPayloadIsAnsweredNotFatal() async throws {
        var dispatcher = Self.dispatcher()
        dispatcher.on(WireOperation(rawValue: 902)) { (_: WireReadyReply, _) in WireEmpty() }
        try await withWireServer(dispatcher: dispatcher) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            await #expect(throws: WireError.self) {
                _ = try await connection.request(WireOperation(rawValue: 902), payload: ByteBuffer(bytes: [0xFF, 0xFF, 0xFF]), timeout: .seconds(10))
            }
            _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: .seconds(10))
            await connection.close()
        }
    }

    @Test func malformedFrameGetsOneErrorFrameThenClose() async throws {
        try await withWireServer(dispatcher: Self.dispatcher()) { address, _ in
            guard case .unix(let path) = address else { return }
            let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(unixDomainSocketPath: path) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            let received = try await raw.executeThenClose { inbound, outbound in
                var garbage = ByteBuffer()
                garbage.writeInteger(UInt32(20))
                garbage.writeRepeatingByte(0xAB, count: 20)
                try await outbound.write(garbage)
                var received = ByteBuffer()
                for try await chunk in inbound { received.writeImmutableBuffer(chunk) }
                return received  // the loop ends only because the server closed
            }
            var decoder = FrameDecoder()
            var bytes = received
            let answer = try #require(try decoder.nextFrame(from: &bytes))
            #expect(answer.header.kind == .error)
            #expect(WireStatus(rawValue: answer.header.code) == .malformedFrame)
        }
    }

    @Test func oversizeFrameIsRefusedAndTheConnectionClosed() async throws {
        try await withWireServer(dispatcher: Self.dispatcher(), maximumFrameLength: 4096) { address, _ in
            let connection = try await WireConnection.connect(to: address, maximumFrameLength: 1 << 20).get()
            await #expect(throws: WireError.self) {
                _ = try await connection.request(Self.echo, payload: ByteBuffer(repeating: 1, count: 10_000), timeout: .seconds(10))
            }
            // The refusal arrives before the close: on a loaded machine the close is seen a moment later.
            try await waitUntil("the server closes the connection") { !connection.isUsable }
        }
    }

    @Test func timeoutFailsTheCallerAndLeavesTheConnectionUsable() async throws {
        try await withWireServer(dispatcher: Self.dispatcher()) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            await #expect(throws: WireError.deadlineExceeded) {
                _ = try await connection.request(Self.slow, payload: ByteBuffer(), timeout: .milliseconds(50))
            }
            let echoed = try await connection.request(Self.echo, payload: ByteBuffer(string: "after"), timeout: .seconds(10))
            #expect(String(buffer: echoed) == "after")
            await connection.close()
        }
    }

    @Test func workWhoseDeadlinePassedIsDropped() async throws {
        let ran = Counter()
        var dispatcher = Self.dispatcher()
        dispatcher.on(
            WireOperation(rawValue: 903),
            raw: { request in
                ran.increment()
                return request.payload
            }
        )
        let header = FrameHeader(kind: .request, code: 903, correlationID: 1, deadlineMilliseconds: 1)
        let request = WireRequest(header: header, payload: ByteBuffer(), deadline: .now() - .milliseconds(1), logger: .init(label: "t"))
        let answer = await dispatcher.dispatch(request)
        #expect(answer == nil)
        #expect(ran.value == 0)
    }

    @Test func overloadRefusalsAreLoggedOncePerIntervalAndAllAnswered() async throws {
        struct Overloaded: WireErrorConvertible {
            var wireStatus: WireStatus { .overloaded }
            var wireMessage: String { "Service overloaded, retry later" }
            var wireMetadata: [String: String] { [:] }
        }
        let log = InMemoryLogHandler()
        var dispatcher = Self.dispatcher()
        dispatcher.on(WireOperation(rawValue: 904), raw: { _ in throw Overloaded() })
        let logger = Logger(label: "t") { _ in log }
        for id in 1...5 {
            let header = FrameHeader(kind: .request, code: 904, correlationID: UInt32(id), deadlineMilliseconds: 1000)
            let answer = await dispatcher.dispatch(WireRequest(header: header, payload: ByteBuffer(), deadline: .now() + .seconds(1), logger: logger))
            #expect(answer?.header.code == WireStatus.overloaded.rawValue)
        }
        let warnings = log.entries.filter { $0.level >= .warning }
        #expect(warnings.map(\.message.description) == ["refused: Service overloaded, retry later"])
        #expect(warnings.first?.metadata["similar_since_last_warning"] == "0")
    }

    @Test func socketFileIsMode0660AndRemovedAtExit() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("sockets/mode.sock")
        try await withWireServer(dispatcher: Self.dispatcher(), path: path) { _, _ in
            #expect(fileMode(path) == 0o140660)
            #expect(fileMode(directory.appending("sockets")) == 0o040750)
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(fileMode(path) == nil)
    }
}
