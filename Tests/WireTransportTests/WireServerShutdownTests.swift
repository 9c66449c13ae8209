import Logging
import NIOCore
import ServiceLifecycle
import ServiceLifecycleTestKit
import Testing
import WireProtocol
import WireTesting
import WireTransport

@Suite("WireServer graceful shutdown")
struct WireServerShutdownTests {
    @Test func requestInFlightIsAnsweredAndNewConnectionsAreRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("drain.sock")
        let started = Counter()
        var dispatcher = OperationDispatcher.alwaysReady()
        dispatcher.on(
            WireOperation(rawValue: 960),
            raw: { request in
                started.increment()
                try await Task.sleep(for: .milliseconds(300))
                return ByteBuffer(string: "finished")
            }
        )
        var logger = Logger(label: "drain-test")
        logger.logLevel = .critical
        let server = WireServer(configuration: .init(address: .unix(path: path)), dispatcher: dispatcher, logger: logger)

        try await testGracefulShutdown { trigger in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                while server.localAddress == nil { try await Task.sleep(for: .milliseconds(2)) }

                let connection = try await WireConnection.connect(to: .unix(path: path)).get()
                async let answer = connection.request(WireOperation(rawValue: 960), payload: ByteBuffer(), timeout: .seconds(5))
                // Shut down only once the request is being worked on.
                while started.value == 0 { try await Task.sleep(for: .milliseconds(2)) }
                trigger.triggerGracefulShutdown()

                #expect(String(buffer: try await answer) == "finished")
                try await group.waitForAll()
                await #expect(throws: WireError.self) {
                    _ = try await WireConnection.connect(to: .unix(path: path)).get()
                }
                #expect(fileMode(path) == nil, "the socket file is removed")
            }
        }
    }
}
