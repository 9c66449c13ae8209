/// Hashes passwords and checks them against stored PHC strings.
///
/// Calls are slow on purpose (Argon2id, tens of milliseconds) and block: run them on the
/// ``BlockingPool``, never on an event loop.
public protocol PasswordHasher: Sendable {
    /// The parameters new hashes are made with.
    var parameters: Argon2Parameters { get }

    /// A PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) for `password`.
    func hash(_ password: String) throws(PasswordHashError) -> String

    /// Whether `password` matches `phc`. A malformed or unsupported string is a mismatch.
    func verify(_ password: String, against phc: String) -> Bool
}

extension PasswordHasher {
    /// Whether `phc` was made with other parameters than the configured ones (so it should be
    /// re-hashed at the next successful login).
    public func needsRehash(_ phc: String) -> Bool {
        Argon2Parameters(phc: phc) != self.parameters
    }
}

/// Why a password could not be hashed (never carries the password).
public enum PasswordHashError: Error, Sendable, Hashable {
    /// The C library refused: its function and code.
    case library(function: String, code: Int32)
}
