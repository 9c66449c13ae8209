#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Seals messages while they wait in the outbox: XChaCha20-Poly1305 under a key derived from
/// `API_KEY_SECRET`, bound to the recipient. A copy of the database then holds no readable
/// code or link, and a message moved to another row (another recipient) does not open.
///
/// A sealed message is `v1.` and base64 of the nonce, the ciphertext and the tag.
public struct MailSeal: Sendable {
    let key: [UInt8]

    static let prefix = "v1."

    /// `secret` is `API_KEY_SECRET`; the key is its HMAC with a label of its own, so it never
    /// equals a key used for anything else.
    public init(secret: String) {
        self.key = Sodium.hmacSHA256(key: Array(secret.utf8), message: Array("mail outbox seal".utf8))
    }

    public func seal(_ message: String, recipient: String) -> String {
        Self.prefix + Data(Sodium.seal(Array(message.utf8), key: self.key, context: Self.context(recipient))).base64EncodedString()
    }

    /// The message, or `nil` when it was not sealed under this key for this recipient (the secret
    /// changed, or the row was altered).
    public func open(_ sealed: String, recipient: String) -> String? {
        guard sealed.hasPrefix(Self.prefix), let bytes = Data(base64Encoded: String(sealed.dropFirst(Self.prefix.count))) else {
            return nil
        }
        return Sodium.open(Array(bytes), key: self.key, context: Self.context(recipient)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func context(_ recipient: String) -> [UInt8] {
        Array("mail_outbox v1\0\(recipient.lowercased())".utf8)
    }
}
