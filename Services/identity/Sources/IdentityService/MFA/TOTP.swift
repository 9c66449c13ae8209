import Crypto

/// Time-based one-time passwords (RFC 6238) as every authenticator app reads them: HMAC-SHA-1,
/// 6 digits, 30-second steps.
public enum TOTP {
    public static let digits = 6
    public static let period: Int64 = 30
    /// The bytes of a new secret: 160 bits, the length RFC 4226 recommends.
    public static let secretBytes = 20
    /// Steps accepted either side of now (clock skew between the app and the server).
    public static let skewSteps: Int64 = 1

    /// The time step of `secondsSince1970`.
    public static func step(at secondsSince1970: Double) -> Int64 {
        Int64((secondsSince1970 / Double(Self.period)).rounded(.down))
    }

    /// The code of `step` (RFC 4226's HOTP of the step counter), zero-padded.
    public static func code(secret: [UInt8], step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let value = binary % 1_000_000
        let text = String(value)
        return String(repeating: "0", count: Self.digits - text.count) + text
    }

    /// The step within the skew window around `now` whose code is `code`, looking only at steps
    /// after `after` (the last one accepted): every candidate is compared, in constant time.
    public static func matchingStep(secret: [UInt8], code: String, now: Double, after: Int64) -> Int64? {
        guard code.utf8.count == Self.digits, code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let current = Self.step(at: now)
        var found: Int64?
        for step in (current - Self.skewSteps)...(current + Self.skewSteps) {
            let equal = Sodium.constantTimeEquals(Array(Self.code(secret: secret, step: step).utf8), Array(code.utf8))
            if equal, step > after, found == nil { found = step }
        }
        return found
    }
}
