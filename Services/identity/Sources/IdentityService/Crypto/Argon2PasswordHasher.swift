/// Argon2id with the backend chosen by `ARGON2_BACKEND`: libsodium (default, about twice as
/// fast here) or libargon2. Both write the same PHC strings and each verifies the other's.
///
/// libsodium hashes and verifies only one-lane strings; strings with more lanes (passlib's
/// `p=4` from the FastAPI service) are verified with libargon2 whatever the backend, and then
/// re-hashed at the configured parameters on the next login.
public struct Argon2PasswordHasher: PasswordHasher {
    public enum Backend: String, Sendable, CaseIterable {
        case libsodium
        case libargon2
    }

    public let backend: Backend
    public let parameters: Argon2Parameters

    /// - Precondition: `parameters.parallelism == 1` with the libsodium backend (configuration checks it).
    public init(backend: Backend, parameters: Argon2Parameters) {
        precondition(backend == .libargon2 || parameters.parallelism == 1, "libsodium hashes with one lane only")
        self.backend = backend
        self.parameters = parameters
    }

    public func hash(_ password: String) throws(PasswordHashError) -> String {
        switch self.backend {
        case .libsodium:
            try Sodium.argon2idHash(password, memoryKiB: self.parameters.memoryKiB, iterations: self.parameters.iterations)
        case .libargon2:
            try Argon2.argon2idHash(password, salt: Sodium.randomBytes(Argon2.saltLength), parameters: self.parameters)
        }
    }

    public func verify(_ password: String, against phc: String) -> Bool {
        guard let stored = Argon2Parameters(phc: phc) else { return false }
        if self.backend == .libsodium && stored.parallelism == 1 {
            return Sodium.argon2idVerify(password, against: phc)
        }
        return Argon2.argon2idVerify(password, against: phc)
    }
}
