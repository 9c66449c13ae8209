internal import CArgon2

/// libargon2, the reference implementation. The only file that imports `CArgon2`.
///
/// Slower than libsodium on this machine (Debian builds it without AVX2) but it handles any
/// number of lanes, which the passlib hashes of the FastAPI service use (`p=4`).
enum Argon2 {
    static let saltLength = 16
    static let hashLength = 32

    static func argon2idHash(_ password: String, salt: [UInt8], parameters: Argon2Parameters) throws(PasswordHashError) -> String {
        let bytes = Array(password.utf8)
        let length = argon2_encodedlen(
            UInt32(parameters.iterations),
            UInt32(parameters.memoryKiB),
            UInt32(parameters.parallelism),
            UInt32(salt.count),
            UInt32(Self.hashLength),
            Argon2_id
        )
        var encoded = [CChar](repeating: 0, count: length)
        let code = argon2id_hash_encoded(
            UInt32(parameters.iterations),
            UInt32(parameters.memoryKiB),
            UInt32(parameters.parallelism),
            bytes,
            bytes.count,
            salt,
            salt.count,
            Self.hashLength,
            &encoded,
            length
        )
        guard code == ARGON2_OK.rawValue else { throw .library(function: "argon2id_hash_encoded", code: code) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func argon2idVerify(_ password: String, against phc: String) -> Bool {
        let bytes = Array(password.utf8)
        return argon2id_verify(phc, bytes, bytes.count) == ARGON2_OK.rawValue
    }
}
