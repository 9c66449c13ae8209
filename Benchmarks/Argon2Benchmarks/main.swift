// Raw Argon2id verify throughput at the configured parameters, on as many threads as cores:
// the ceiling for login throughput on this machine. Run: `make bench` (release build).
// ARGON2_BENCH_SECONDS (10) and ARGON2_BENCH_BACKENDS (all: libsodium,libargon2) narrow a run, so
// scripts/bench-http can alternate short raw and login runs on a machine whose speed drifts.
import Foundation
import IdentityService
import NIOCore
import Synchronization

let parameters = Argon2Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)
let environment = ProcessInfo.processInfo.environment
let threads = environment["ARGON2_BENCH_THREADS"].flatMap(Int.init) ?? System.coreCount
let seconds = environment["ARGON2_BENCH_SECONDS"].flatMap(Double.init) ?? 10.0
let backends =
    environment["ARGON2_BENCH_BACKENDS"].map { names in
        Argon2PasswordHasher.Backend.allCases.filter { names.split(separator: ",").contains(Substring($0.rawValue)) }
    } ?? Argon2PasswordHasher.Backend.allCases

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

for backend in backends {
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
    print(
        "argon2id verify, \(backend.rawValue), \(parameters), \(threads) threads: \(Int(Double(count) / total)) verifies/s (\(count) in \(Int(total)) s)"
    )
}
