import Logging
import NIOCore
import Testing
import WireProtocol
import WireTesting
import Gateway
import WireTransport

@Suite("BackendPool")
struct BackendPoolTests {
    static let whoAmI = WireOperation(rawValue: 950)

    static func dispatcher(name: String) -> OperationDispatcher {
        var dispatcher = OperationDispatcher.alwaysReady(instance: name)
        dispatcher.on(Self.whoAmI, raw: { _ in ByteBuffer(string: name) })
        return dispatcher
    }

    /// Runs a named instance at `path` until the returned task is cancelled.
    static func startInstance(_ name: String, at path: String) async throws -> Task<Void, any Error> {
        let task = Task {
            try await withWireServer(dispatcher: Self.dispatcher(name: name), path: path) { _, _ in
                try await Task.sleep(for: .seconds(3600))
            }
        }
        for _ in 0..<500 where fileMode(path) == nil { try await Task.sleep(for: .milliseconds(2)) }
        return task
    }

    @Test func requestsMoveToTheLiveInstanceAndComeBackWhenTheOtherReturns() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pathA = directory.appending("a.sock")
        let pathB = directory.appending("b.sock")
        var instanceA = try await Self.startInstance("a", at: pathA)
        let instanceB = try await Self.startInstance("b", at: pathB)
        defer { instanceB.cancel() }

        var logger = Logger(label: "pool-test")
        logger.logLevel = .critical
        let pool = BackendPool(
            service: "test",
            addresses: [.unix(path: pathA), .unix(path: pathB)],
            // A generous timeout: the test is about where requests go, and the suite loads both cores.
            configuration: .init(requestTimeout: .seconds(10), probeInterval: .milliseconds(50)),
            logger: logger
        )
        let prober = Task { try await pool.run() }
        defer { prober.cancel() }

        func answers(_ count: Int) async throws -> [String: Int] {
            var seen: [String: Int] = [:]
            for _ in 0..<count {
                let answer = try await pool.request(Self.whoAmI, payload: ByteBuffer(), idempotent: true)
                seen[String(buffer: answer), default: 0] += 1
            }
            return seen
        }

        let before = try await answers(20)
        #expect(before["a", default: 0] > 0 && before["b", default: 0] > 0)

        instanceA.cancel()
        _ = await instanceA.result
        let during = try await answers(50)
        #expect(during == ["b": 50], "every request succeeds, on the instance that is left")

        instanceA = try await Self.startInstance("a", at: pathA)
        defer { instanceA.cancel() }
        var readmitted = false
        for _ in 0..<100 where !readmitted {
            try await Task.sleep(for: .milliseconds(50))
            readmitted = try await answers(4)["a", default: 0] > 0
        }
        #expect(readmitted, "the instance is used again once it answers")
    }

    @Test func noInstanceAnsweringIsAnErrorNotAHang() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pool = BackendPool(service: "test", addresses: [.unix(path: directory.appending("none.sock"))], logger: Logger(label: "t"))
        await #expect(throws: WireError.self) {
            _ = try await pool.request(.ping, payload: ByteBuffer(), timeout: .seconds(1))
        }
    }
}

@Suite("WireServer under cancellation")
struct WireServerCancellationTests {
    /// Clients keep connecting while the server's task is cancelled: connections accepted but
    /// never served are closed, and the process goes on (NIO traps on such channels otherwise).
    @Test func connectionsArrivingWhileTheServerIsCancelledAreClosedNotFatal() async throws {
        for round in 0..<20 {
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let path = directory.appending("s\(round).sock")
            let server = try await BackendPoolTests.startInstance("c", at: path)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        for _ in 0..<4 {
                            if let connection = try? await WireConnection.connect(to: .unix(path: path)).get() {
                                _ = try? await connection.request(.ping, payload: ByteBuffer(), timeout: .milliseconds(200))
                            }
                        }
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 0...3)))
                    server.cancel()
                }
            }
            _ = await server.result
        }
    }
}
