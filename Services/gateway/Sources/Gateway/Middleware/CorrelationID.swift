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
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: words * 16) { buffer in
            digits.withUTF8Buffer { digits in
                for word in 0..<words {
                    let value = Self.next()
                    for nibble in 0..<16 {
                        buffer[word * 16 + nibble] = digits[Int((value >> UInt64(60 - 4 * nibble)) & 0xF)]
                    }
                }
            }
            return words * 16
        }
    }
}
