import ExtrasBase64

/// base64url without padding (RFC 4648 §5), as JWTs and our refresh tokens use it: the
/// implementation jwt-kit itself uses (swift-extras-base64), behind the two calls we need.
enum Base64URL {
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        Base64.encodeToString(bytes: bytes, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }

    /// The bytes, or `nil` when `text` is not base64url.
    static func decode(_ text: Substring) -> [UInt8]? {
        try? Base64.decode(bytes: text.utf8, options: [.base64UrlAlphabet, .omitPaddingCharacter])
    }
}
