import IdentityService
import Testing

/// Argon2 blocks for tens to hundreds of milliseconds: tests run it on a pool of their own, never
/// on the cooperative threads the other tests' awaits need.
let hashingThreads = BlockingPool(threads: 2, maximumPending: 64)

func offPool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await hashingThreads.run(work)
}

@Suite("Argon2id password hashing")
struct PasswordHasherTests {
    static let light = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    @Test(arguments: Argon2PasswordHasher.Backend.allCases)
    func hashesVerifyAndCarryTheirParameters(backend: Argon2PasswordHasher.Backend) async throws {
        let hasher = Argon2PasswordHasher(backend: backend, parameters: Self.light)
        let phc = try await offPool { try hasher.hash("StrongPass123") }
        #expect(phc.hasPrefix("$argon2id$v=19$m=1024,t=1,p=1$"))
        #expect(hasher.verify("StrongPass123", against: phc))
        #expect(!hasher.verify("StrongPass124", against: phc))
        #expect(!hasher.needsRehash(phc))
        #expect(try await offPool { try hasher.hash("StrongPass123") } != phc, "a fresh salt each time")
    }

    @Test func eachBackendVerifiesTheOthersHashes() async throws {
        let sodium = Argon2PasswordHasher(backend: .libsodium, parameters: Self.light)
        let argon2 = Argon2PasswordHasher(backend: .libargon2, parameters: Self.light)
        #expect(argon2.verify("pässwörd Ü1", against: try sodium.hash("pässwörd Ü1")))
        #expect(sodium.verify("pässwörd Ü1", against: try argon2.hash("pässwörd Ü1")))
    }

    @Test func passlibHashesOfTheFastAPIServiceVerifyAndAskForARehash() async throws {
        // passlib's argon2 defaults: m=65536, t=3, p=4 (made here with libargon2, as passlib does).
        let passlib = Argon2PasswordHasher(backend: .libargon2, parameters: Argon2Parameters(memoryKiB: 65536, iterations: 3, parallelism: 4))
        let legacy = try await offPool { try passlib.hash("StrongPass123") }
        #expect(legacy.contains("$m=65536,t=3,p=4$"))
        let current = Argon2PasswordHasher(backend: .libsodium, parameters: .owasp)
        #expect(try await offPool { current.verify("StrongPass123", against: legacy) }, "libsodium backend verifies 4-lane hashes through libargon2")
        #expect(try await offPool { !current.verify("WrongPass123", against: legacy) })
        #expect(current.needsRehash(legacy))
    }

    @Test(arguments: ["", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$v=19$m=x,t=1,p=1$a$b", "$2b$12$bcrypt.hash"])
    func malformedOrForeignStringsNeverMatch(phc: String) {
        let hasher = Argon2PasswordHasher(backend: .libsodium, parameters: Self.light)
        #expect(!hasher.verify("anything", against: phc))
        #expect(hasher.needsRehash(phc))
    }
}
