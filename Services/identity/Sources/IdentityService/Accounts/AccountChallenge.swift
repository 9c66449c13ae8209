#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ServiceRuntime

/// What a verification or reset message carries: an 8-digit code to type and a 256-bit token for
/// the link. The challenge table keeps only their keyed hashes (HMAC-SHA-256 under the service's
/// key); the message that carries them waits in the outbox in clear until it is delivered (to be
/// sealed under an AEAD key before the flows are switched on); the code's hash also names the user and the purpose, so
/// one code is worth nothing for another account.
public struct AccountChallenge: Sendable, Hashable {
    public enum Purpose: String, Sendable, CaseIterable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
    }

    public var purpose: Purpose
    /// Eight decimal digits, uniformly drawn.
    public var code: String
    /// 32 random bytes, base64url (43 characters).
    public var token: String

    /// A fresh challenge.
    public static func make(_ purpose: Purpose) -> AccountChallenge {
        AccountChallenge(purpose: purpose, code: Self.randomCode(), token: Self.base64URL(Sodium.randomBytes(32)))
    }

    /// Eight digits with no bias: 32-bit draws at or above 4,200,000,000 (42 × 10⁸) are drawn again.
    static func randomCode() -> String {
        while true {
            let bytes = Sodium.randomBytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            guard value < 4_200_000_000 else { continue }
            let digits = String(value % 100_000_000)
            return String(repeating: "0", count: 8 - digits.count) + digits
        }
    }

    /// The stored hash of `code` for `userID` and `purpose`.
    public static func codeDigest(_ code: String, userID: Int64, purpose: Purpose, key: [UInt8]) -> String {
        Hex.encode(Sodium.hmacSHA256(key: key, message: Array("code:\(purpose.rawValue):\(userID):\(code)".utf8)))
    }

    /// The stored hash of a link `token` for `purpose`.
    public static func tokenDigest(_ token: String, purpose: Purpose, key: [UInt8]) -> String {
        Hex.encode(Sodium.hmacSHA256(key: key, message: Array("token:\(purpose.rawValue):\(token)".utf8)))
    }

    /// Whether `code` looks like one (eight digits): anything else is refused before any lookup.
    public static func isCode(_ code: String) -> Bool {
        code.utf8.count == 8 && code.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Whether `token` looks like one (43 base64url characters).
    public static func isToken(_ token: String) -> Bool {
        token.utf8.count == 43
            && token.utf8.allSatisfy {
                ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
            }
    }

    /// Base64url without padding (RFC 4648 §5).
    static func base64URL(_ bytes: [UInt8]) -> String {
        String(
            Data(bytes).base64EncodedString().compactMap { character -> Character? in
                switch character {
                case "+": "-"
                case "/": "_"
                case "=": nil
                default: character
                }
            }
        )
    }
}
