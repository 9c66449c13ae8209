internal import CSodium

/// libsodium's Argon2id, HMAC-SHA-256, XChaCha20-Poly1305 and random bytes. The only file that imports `CSodium`.
enum Sodium {
    /// `sodium_init` once per process; safe to call from many threads.
    static let initialized: Bool = sodium_init() >= 0

    /// An Argon2id PHC string; libsodium always uses one lane (`p=1`).
    static func argon2idHash(_ password: String, memoryKiB: Int, iterations: Int) throws(PasswordHashError) -> String {
        precondition(Self.initialized, "libsodium failed to initialise")
        var output = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        // The String converts to its NUL-terminated UTF-8 bytes; the length bounds what is hashed.
        let code = crypto_pwhash_str_alg(
            &output,
            password,
            UInt64(password.utf8.count),
            UInt64(iterations),
            memoryKiB * 1024,
            crypto_pwhash_ALG_ARGON2ID13
        )
        guard code == 0 else { throw .library(function: "crypto_pwhash_str_alg", code: code) }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches the PHC string (one-lane strings only).
    static func argon2idVerify(_ password: String, against phc: String) -> Bool {
        precondition(Self.initialized, "libsodium failed to initialise")
        return crypto_pwhash_str_verify(phc, password, UInt64(password.utf8.count)) == 0
    }

    /// Cryptographically secure random bytes.
    static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(Self.initialized, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    /// HMAC-SHA-256 of `message` under `key` (any key length).
    static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        precondition(Self.initialized, "libsodium failed to initialise")
        var state = crypto_auth_hmacsha256_state()
        var output = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        crypto_auth_hmacsha256_init(&state, key, key.count)
        crypto_auth_hmacsha256_update(&state, message, UInt64(message.count))
        crypto_auth_hmacsha256_final(&state, &output)
        return output
    }

    /// Compares in time that depends only on the length, not on where the bytes differ.
    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return sodium_memcmp(a, b, a.count) == 0
    }

    /// XChaCha20-Poly1305 (IETF): a random 24-byte nonce followed by the ciphertext and its tag.
    /// `key` is 32 bytes; `context` is authenticated, not encrypted.
    static func seal(_ plaintext: [UInt8], key: [UInt8], context: [UInt8]) -> [UInt8] {
        precondition(Self.initialized, "libsodium failed to initialise")
        precondition(key.count == Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES), "an XChaCha20-Poly1305 key is 32 bytes")
        let nonce = Self.randomBytes(Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES))
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + Int(crypto_aead_xchacha20poly1305_ietf_ABYTES))
        var length: UInt64 = 0
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext,
            &length,
            plaintext,
            UInt64(plaintext.count),
            context,
            UInt64(context.count),
            nil,
            nonce,
            key
        )
        return nonce + ciphertext.prefix(Int(length))
    }

    /// The plaintext of what ``seal(_:key:context:)`` made, or `nil` when it was altered, made
    /// under another key or for another context.
    static func open(_ sealed: [UInt8], key: [UInt8], context: [UInt8]) -> [UInt8]? {
        precondition(Self.initialized, "libsodium failed to initialise")
        let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
        guard key.count == Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES), sealed.count >= nonceBytes + tagBytes else { return nil }
        let nonce = Array(sealed.prefix(nonceBytes))
        let ciphertext = Array(sealed.dropFirst(nonceBytes))
        var output = [UInt8](repeating: 0, count: ciphertext.count - tagBytes)
        var length: UInt64 = 0
        let code = crypto_aead_xchacha20poly1305_ietf_decrypt(
            &output,
            &length,
            nil,
            ciphertext,
            UInt64(ciphertext.count),
            context,
            UInt64(context.count),
            nonce,
            key
        )
        guard code == 0 else { return nil }
        return Array(output.prefix(Int(length)))
    }
}
