import Crypto
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Seals the successor of a just-rotated refresh token while the reuse grace lasts, so that a
/// replay inside the window can be answered with the same successor, and a copy of Redis still
/// yields no usable token (ChaCha20-Poly1305 under a key derived from `REFRESH_SECRET`).
struct SuccessorSeal: Sendable {
    let key: SymmetricKey

    init(refreshSecret: String) {
        let code = HMAC<SHA256>.authenticationCode(
            for: Array("refresh successor seal".utf8),
            using: SymmetricKey(data: Array(refreshSecret.utf8))
        )
        self.key = SymmetricKey(data: Array(code))
    }

    /// The sealed token, base64url (nonce, ciphertext and tag together).
    func seal(_ token: String) throws -> String {
        Base64URL.encode(try ChaChaPoly.seal(Array(token.utf8), using: self.key).combined)
    }

    /// The token, or `nil` when `sealed` was not sealed with this key.
    func open(_ sealed: String) -> String? {
        guard let bytes = Base64URL.decode(Substring(sealed)), let box = try? ChaChaPoly.SealedBox(combined: bytes),
            let plain = try? ChaChaPoly.open(box, using: self.key)
        else { return nil }
        return String(bytes: plain, encoding: .utf8)
    }
}
