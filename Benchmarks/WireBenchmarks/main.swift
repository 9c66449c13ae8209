// Measures one frame round trip over a Unix-domain socket between a WireConnection and a
// WireServer in the same process: latency one at a time (p50, p99) and throughput with 64
// requests in flight on one connection. Run: `make bench-wire` (release build).
import Logging
import NIOCore
import WireProtocol
import WireTesting
import WireTransport

let echo = WireOperation(rawValue: 900)
var dispatcher = OperationDispatcher.alwaysReady()
dispatcher.on(echo, raw: { request in request.payload })
let payload = ByteBuffer(repeating: 0x61, count: 64)

func oneDecimal(_ value: Double) -> String {
    let tenths = Int((value * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

try await withWireServer(dispatcher: dispatcher) { address, _ in
    let connection = try await WireConnection.connect(to: address).get()

    // Warm up.
    for _ in 0..<2000 { _ = try await connection.request(echo, payload: payload, timeout: .seconds(5)) }

    // Latency: one request at a time.
    let samples = 20_000
    var latencies: [Double] = []
    latencies.reserveCapacity(samples)
    let clock = ContinuousClock()
    for _ in 0..<samples {
        let started = clock.now
        _ = try await connection.request(echo, payload: payload, timeout: .seconds(5))
        let elapsed = clock.now - started
        latencies.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    }
    latencies.sort()

    // Throughput: 64 in flight on one connection.
    let inFlight = 64
    let perTask = 3000
    let started = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for _ in 0..<inFlight {
            group.addTask {
                for _ in 0..<perTask { _ = try await connection.request(echo, payload: payload, timeout: .seconds(5)) }
            }
        }
        try await group.waitForAll()
    }
    let seconds = Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
    let throughput = Double(inFlight * perTask) / seconds

    print("frame round trip over a Unix socket, 64-byte payload")
    print("  one at a time: p50 \(oneDecimal(percentile(latencies, 0.5))) µs, p99 \(oneDecimal(percentile(latencies, 0.99))) µs (\(samples) samples)")
    print("  64 in flight:  \(Int(throughput)) round trips/s (\(inFlight * perTask) requests)")
    await connection.close()
}
