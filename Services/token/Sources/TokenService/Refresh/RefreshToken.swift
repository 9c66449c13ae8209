import ServiceRuntime
public import Crypto
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An opaque refresh token: `<user id>.<family id>.<secret>`.
///
/// The secret is 256 random bits; the user and family ids let one Redis operation find every
/// key it touches, all under the user's hash tag. Only a keyed hash (HMAC-SHA256 with
/// `REFRESH_SECRET`) of the whole token is stored, so a copy of Redis yields no usable token.
public struct RefreshToken: Sendable, Hashable {
    public var userID: Int64
    /// The session (refresh family) this token belongs to.
    public var familyID: String
    public var value: String

    /// A new token in `familyID` (a new family when `nil`).
    public static func make(userID: Int64, familyID: String? = nil) -> RefreshToken {
        let family = familyID ?? Base64URL.encode(randomBytes(16))
        let secret = Base64URL.encode(randomBytes(32))
        return RefreshToken(userID: userID, familyID: family, value: "\(userID).\(family).\(secret)")
    }

    /// Parses a presented token; `nil` when it cannot be one of ours (no lookup is made then).
    public init?(parsing text: String) {
        guard text.utf8.count <= 128 else { return nil }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let userID = Int64(parts[0]), userID > 0,
            Self.isFamilyID(parts[1]), parts[2].utf8.count == 43,
            Base64URL.decode(parts[2]) != nil
        else { return nil }
        self.init(userID: userID, familyID: String(parts[1]), value: text)
    }

    /// Whether `text` has the form of a family id (a session id), so it can name a key.
    public static func isFamilyID(_ text: Substring) -> Bool {
        text.utf8.count == 22 && Base64URL.decode(text) != nil
    }

    init(userID: Int64, familyID: String, value: String) {
        self.userID = userID
        self.familyID = familyID
        self.value = value
    }

    /// The keyed hash under which the token is stored.
    public func digest(key: SymmetricKey) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(self.value.utf8), using: key))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        // BoringSSL's CSPRNG (RAND_bytes, seeded from the kernel), through swift-crypto: one
        // call for the whole value, where SystemRandomNumberGenerator made a system call per byte.
        SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
    }
}
