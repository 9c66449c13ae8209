import ServiceRuntime

/// The keys of the second factor, each derived from `MFA_ENCRYPTION_KEY` with a label of its own:
/// the seal of the TOTP secrets, and the keyed hashes of recovery codes and login challenges.
///
/// A copy of the database then yields no secret, no recovery code and no live challenge.
public struct MFAKeys: Sendable {
    let sealKey: [UInt8]
    let recoveryKey: [UInt8]
    let challengeKey: [UInt8]

    static let sealPrefix = "v1."

    public init(secret: String) {
        let secret = Array(secret.utf8)
        self.sealKey = Sodium.hmacSHA256(key: secret, message: Array("mfa totp seal".utf8))
        self.recoveryKey = Sodium.hmacSHA256(key: secret, message: Array("mfa recovery code".utf8))
        self.challengeKey = Sodium.hmacSHA256(key: secret, message: Array("mfa login challenge".utf8))
    }

    /// The TOTP secret sealed for the user: XChaCha20-Poly1305, bound to the user id.
    func seal(secret: [UInt8], userID: Int64) -> String {
        Self.sealPrefix + Hex.encode(Sodium.seal(secret, key: self.sealKey, context: Self.context(userID)))
    }

    /// The secret, or `nil` when it was not sealed under this key for this user.
    func open(_ sealed: String, userID: Int64) -> [UInt8]? {
        guard sealed.hasPrefix(Self.sealPrefix), let bytes = Hex.decode(String(sealed.dropFirst(Self.sealPrefix.count))) else { return nil }
        return Sodium.open(bytes, key: self.sealKey, context: Self.context(userID))
    }

    static func context(_ userID: Int64) -> [UInt8] { Array("mfa_totp v1\0\(userID)".utf8) }

    /// What a recovery code is stored as: its keyed hash, bound to the user.
    func recoveryDigest(_ normalizedCode: String, userID: Int64) -> String {
        Hex.encode(Sodium.hmacSHA256(key: self.recoveryKey, message: Array("\(userID)\0\(normalizedCode)".utf8)))
    }

    /// What a login challenge's token is stored as.
    func challengeDigest(_ token: String) -> String {
        Hex.encode(Sodium.hmacSHA256(key: self.challengeKey, message: Array(token.utf8)))
    }
}
