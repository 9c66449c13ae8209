import ServiceRuntime
/// An API key: `ak_<16 hex>_<64 hex>`. The first part is its public, unique prefix (how the row is
/// found); the whole key is stored only as an HMAC-SHA-256 under `API_KEY_SECRET`, so a stolen
/// table reveals no usable key, and checking one costs a hash, not an Argon2 run.
public struct APIKey: Sendable, Hashable {
    /// The whole key, shown to its owner once.
    public let value: String
    /// `ak_` and 16 hex digits (64 random bits).
    public let prefix: String

    static let prefixLength = 3 + 16
    static let length = prefixLength + 1 + 64

    /// A new key: 64 bits of prefix, 256 bits of secret.
    public static func generate() -> APIKey {
        let prefix = "ak_" + Hex.encode(Sodium.randomBytes(8))
        let value = prefix + "_" + Hex.encode(Sodium.randomBytes(32))
        return APIKey(value: value, prefix: prefix)
    }

    private init(value: String, prefix: String) {
        self.value = value
        self.prefix = prefix
    }

    /// A presented key, if it has the shape of one (anything else is refused before a query).
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == Self.length, text.hasPrefix("ak_"), bytes[Self.prefixLength] == UInt8(ascii: "_") else { return nil }
        let hexDigits = bytes[3..<Self.prefixLength] + bytes[(Self.prefixLength + 1)...]
        guard hexDigits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) })
        else { return nil }
        self.value = text
        self.prefix = String(decoding: bytes[0..<Self.prefixLength], as: UTF8.self)
    }

    /// The keyed hash stored in place of the key.
    public func digest(secret: [UInt8]) -> [UInt8] {
        Sodium.hmacSHA256(key: secret, message: Array(self.value.utf8))
    }

    /// Whether `stored` is this key's digest, compared in constant time.
    public func matches(_ stored: [UInt8], secret: [UInt8]) -> Bool {
        Sodium.constantTimeEquals(self.digest(secret: secret), stored)
    }

    /// Bytes from PostgreSQL's `bytea` hex output (`\x…`).
    static func bytes(fromByteaHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count >= 2, digits[0] == UInt8(ascii: "\\"), digits[1] == UInt8(ascii: "x"), digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = 2
        while index < digits.count {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
