import ServiceRuntime
import Synchronization

/// The ids the gateway makes for each request: request ids, trace ids and span ids.
///
/// They correlate log lines and traces and are no secrets, so they need to be unique and
/// unguessable enough, not drawn from the system's CSPRNG one system call at a time: each is
/// SplitMix64 (a bijection of 64-bit words) of a process-wide counter offset by a seed drawn
/// once from the CSPRNG, so no two of one gateway repeat and two gateways' do not line up.
enum CorrelationID {
    private static let seed: UInt64 = {
        var seed: UInt64 = 0
        withUnsafeMutableBytes(of: &seed) { RandomBytes.fill($0) }
        return seed
    }()
    private static let counter = Atomic<UInt64>(0)

    /// The next 64 bits.
    static func next() -> UInt64 {
        let count = Self.counter.wrappingAdd(1, ordering: .relaxed).newValue
        var z = Self.seed &+ count &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `words` words of 64 bits as lower-case hex, 16 digits each.
    static func hex(words: Int) -> String {
        String(unsafeUninitializedCapacity: words * 16) { buffer in
            for word in 0..<words { Self.writeHex(Self.next(), into: buffer, at: word * 16) }
            return words * 16
        }
    }

    /// A new W3C `traceparent`, not sampled: `00-<32 hex trace id>-<16 hex span id>-00`, made in
    /// one buffer (this runs for every request that comes without one).
    static func traceParent() -> String {
        String(unsafeUninitializedCapacity: 55) { buffer in
            let zero = UInt8(ascii: "0")
            let dash = UInt8(ascii: "-")
            (buffer[0], buffer[1], buffer[2], buffer[35], buffer[52], buffer[53], buffer[54]) = (zero, zero, dash, dash, dash, zero, zero)
            Self.writeHex(Self.next(), into: buffer, at: 3)
            Self.writeHex(Self.next(), into: buffer, at: 19)
            Self.writeHex(Self.next(), into: buffer, at: 36)
            return 55
        }
    }

    /// 16 lower-case hex digits of `value` at `offset`.
    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        for nibble in 0..<16 {
            let digit = UInt8(truncatingIfNeeded: (value >> UInt64(60 - 4 * nibble)) & 0xF)
            buffer[offset + nibble] = digit < 10 ? 0x30 + digit : 0x57 + digit
        }
    }
}
