import ExtrasBase64

/// The second factor's parts: its keys (`MFA_ENCRYPTION_KEY`), its store, the issuer apps show
/// (`MFA_ISSUER`) and its limits.
public struct SecondFactor: Sendable {
    let keys: MFAKeys
    let store: any MFAStore
    let issuer: String

    /// Wrong codes an account may send within ``failureWindowSeconds`` before codes are refused
    /// for ``lockSeconds`` (a counter of its own, apart from the password's lockout).
    static let maximumFailures = 10
    static let failureWindowSeconds = 900
    static let lockSeconds = 900
    /// A login challenge lives 5 minutes and allows 5 codes.
    static let challengeLifetimeSeconds = 300
    static let challengeAttempts = 5
    /// The login routes a challenge may be bound to.
    static let routes: Set<String> = ["login", "token", "auth"]

    public init(secret: String, store: any MFAStore, issuer: String) {
        self.keys = MFAKeys(secret: secret)
        self.store = store
        self.issuer = issuer
    }

    /// A new set of recovery codes, as shown once, and what is stored of them.
    func newRecoveryCodes(userID: Int64) -> (codes: [String], digests: [String]) {
        let codes = (0..<RecoveryCode.count).map { _ in RecoveryCode.generate() }
        let digests = codes.compactMap { RecoveryCode.normalized($0).map { self.keys.recoveryDigest($0, userID: userID) } }
        return (codes, digests)
    }

    /// The secret as apps take it: base32 without padding.
    static func base32(_ secret: [UInt8]) -> String {
        Base32.encodeToString(bytes: secret, options: .omitPaddingCharacter)
    }

    /// The `otpauth://` URI of Google Authenticator's key-URI format, which every app reads.
    func otpauthURI(secret: [UInt8], account: String) -> String {
        let label = Self.percentEncoded(self.issuer) + ":" + Self.percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(Self.base32(secret))&issuer=\(Self.percentEncoded(self.issuer))"
            + "&algorithm=SHA1&digits=\(TOTP.digits)&period=\(TOTP.period)"
    }

    /// RFC 3986 percent-encoding of everything but unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        self.count >= width ? self : String(repeating: "0", count: width - self.count) + self
    }
}
