#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A reproducible generator for randomised tests (SplitMix64): each test prints its seed, and
/// `TEST_SEED=<seed>` in the environment replays exactly what a failing run did.
///
/// ```swift
/// var generator = SeededRandomNumberGenerator.forTest("fuzz the frame decoder")
/// let count = Int.random(in: 0...64, using: &generator)
/// ```
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// A generator seeded from `TEST_SEED` when it is set, else from the system's generator;
    /// the seed is printed with `label`, so any run can be replayed.
    public static func forTest(_ label: String) -> SeededRandomNumberGenerator {
        let seed: UInt64
        if let text = getenv("TEST_SEED").map({ String(cString: $0) }), let given = UInt64(text) {
            seed = given
        } else {
            var system = SystemRandomNumberGenerator()
            seed = system.next()
        }
        print("\(label): TEST_SEED=\(seed)")
        return SeededRandomNumberGenerator(seed: seed)
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
