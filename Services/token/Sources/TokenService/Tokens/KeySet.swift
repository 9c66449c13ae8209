/// What a ``KeyRing`` holds at one moment: the key that signs, and every key whose tokens still
/// verify (the signing key, keys retired recently, and keys published ahead of their activation).
public struct KeySet: Sendable {
    public var algorithm: SigningAlgorithm
    public var signing: SigningKey
    public var verifying: [SigningKey]

    public init(signing: SigningKey, verifying: [SigningKey] = []) {
        self.algorithm = signing.algorithm
        self.signing = signing
        self.verifying = verifying.contains { $0.id == signing.id } ? verifying : [signing] + verifying
    }

    /// A set of one key.
    public init(_ key: SigningKey) {
        self.init(signing: key)
    }

    /// The ids, to see whether a reload changed anything.
    var fingerprint: [String] { [self.signing.id] + self.verifying.map(\.id).sorted() }

    /// The JWKS (RFC 7517) of the verifying keys: empty for HS256, whose key is secret.
    public var publicKeys: [PublicJWK] { self.verifying.compactMap(\.publicJWK) }
}

/// A JWK Set (RFC 7517 §5).
struct JWKSDocument: Encodable {
    var keys: [PublicJWK]
}
