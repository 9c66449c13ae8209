// Raw Argon2id verify throughput at the configured parameters, on as many threads as cores:
// the ceiling for login throughput on this machine. Run: `make bench` (release build).
import IdentityService
import NIOCore
import Synchronization

let parameters = Argon2Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)
let threads = System.coreCount
let seconds = 10.0

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

for backend in Argon2PasswordHasher.Backend.allCases {
    let hasher = Argon2PasswordHasher(backend: backend, parameters: parameters)
    let phc = try hasher.hash("StrongPass123")
    let done = Counter()
    let clock = ContinuousClock()
    let started = clock.now
    let duration = Duration.seconds(seconds)
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<threads {
            group.addTask {
                while (clock.now - started) < duration {
                    _ = hasher.verify("StrongPass123", against: phc)
                    done.value.add(1, ordering: .relaxed)
                }
            }
        }
    }
    let elapsed = clock.now - started
    let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let count = done.value.load(ordering: .relaxed)
    print("argon2id verify, \(backend.rawValue), \(parameters), \(threads) threads: \(Int(Double(count) / total)) verifies/s (\(count) in \(Int(total)) s)")
}
