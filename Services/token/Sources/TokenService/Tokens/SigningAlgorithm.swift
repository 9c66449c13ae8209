/// How access tokens are signed (`JWT_ALGORITHM`): one algorithm at a time, pinned in
/// verification.
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// HMAC-SHA256 with `ACCESS_SECRET`: the seeds' choice; only holders of the secret verify.
    case hs256 = "HS256"
    /// Ed25519: small keys and signatures, the fastest to verify; anyone verifies with the JWKS.
    case eddsa = "EdDSA"
    /// ECDSA on P-256 with SHA-256: the asymmetric algorithm every JWT library knows.
    case es256 = "ES256"

    /// Whether the keys have a public half to publish.
    public var isAsymmetric: Bool { self != .hs256 }
}
