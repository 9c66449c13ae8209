import NIOCore
import Testing
import WireProtocol
import WireTesting
import WireTransport

@Suite("Multiplexing")
struct MultiplexingTests {
    @Test func thousandConcurrentRequestsOnOneConnectionEachGetTheirOwnAnswer() async throws {
        var dispatcher = OperationDispatcher.alwaysReady()
        // Answers leave in random order: each waits a random few milliseconds.
        dispatcher.on(
            WireOperation(rawValue: 900),
            raw: { request in
                try await Task.sleep(for: .microseconds(Int.random(in: 0...5000)))
                return request.payload
            }
        )
        try await withWireServer(dispatcher: dispatcher) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let answer = try await connection.request(
                            WireOperation(rawValue: 900),
                            payload: ByteBuffer(string: "request \(index)"),
                            timeout: .seconds(10)
                        )
                        return String(buffer: answer) != "request \(index)"
                    }
                }
                var mismatches = 0
                for try await mismatch in group where mismatch { mismatches += 1 }
                return mismatches
            }
            #expect(mismatches == 0)
            await connection.close()
        }
    }

    @Test func closingTheConnectionFailsEveryRequestInFlight() async throws {
        var dispatcher = OperationDispatcher.alwaysReady()
        dispatcher.on(
            WireOperation(rawValue: 901),
            raw: { _ in
                try await Task.sleep(for: .seconds(5))
                return ByteBuffer()
            }
        )
        try await withWireServer(dispatcher: dispatcher) { address, _ in
            let connection = try await WireConnection.connect(to: address).get()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        await #expect(throws: WireError.connectionClosed) {
                            _ = try await connection.request(WireOperation(rawValue: 901), payload: ByteBuffer(), timeout: .seconds(10))
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
                await connection.close()
                try await group.waitForAll()
            }
        }
    }
}
