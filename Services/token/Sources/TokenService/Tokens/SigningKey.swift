import Crypto
import ServiceRuntime
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
public import JWTKit

/// One key of the ``KeyRing``: its id (`kid`) and its secret part.
///
/// An asymmetric key's id is its RFC 7638 thumbprint, so every instance reading the same key
/// names it the same, and a published key can be checked against its id.
public struct SigningKey: Sendable {
    public enum Material: Sendable {
        case hmac(String)
        case ed25519(EdDSA.PrivateKey)
        case p256(ES256PrivateKey)
    }

    public let id: String
    public let material: Material

    public var algorithm: SigningAlgorithm {
        switch self.material {
        case .hmac: .hs256
        case .ed25519: .eddsa
        case .p256: .es256
        }
    }

    /// The HS256 key of `secret`; its id is derived from the secret, so every instance with the
    /// same secret names it the same.
    public init(hmacSecret secret: String) {
        self.init(.hmac(secret))
    }

    /// A new random key for `algorithm` (asymmetric only).
    public static func generate(_ algorithm: SigningAlgorithm) throws(SigningKeyError) -> SigningKey {
        switch algorithm {
        case .hs256: throw .notAsymmetric
        case .eddsa:
            guard let key = try? EdDSA.PrivateKey(curve: .ed25519) else { throw .unreadable("Ed25519 key generation failed") }
            return SigningKey(.ed25519(key))
        case .es256: return SigningKey(.p256(ES256PrivateKey()))
        }
    }

    /// The key in a PEM file's text (PKCS #8 for Ed25519, PKCS #8 or SEC 1 for P-256), which must
    /// be of `algorithm`.
    public init(pem: String, algorithm: SigningAlgorithm) throws(SigningKeyError) {
        switch algorithm {
        case .hs256: throw .notAsymmetric
        case .eddsa:
            guard let key = try? EdDSA.PrivateKey(pem: pem) else { throw .unreadable("not an Ed25519 private key in PEM") }
            self.init(.ed25519(key))
        case .es256:
            guard let key = try? ES256PrivateKey(pem: pem) else { throw .unreadable("not a P-256 private key in PEM") }
            self.init(.p256(key))
        }
    }

    private init(_ material: Material) {
        self.material = material
        self.id = Self.thumbprint(of: material)
    }

    /// The private key in PEM, for the key directory (`nil` for HS256).
    public var pemRepresentation: String? {
        switch self.material {
        case .hmac: nil
        case .ed25519(let key): key.pemRepresentation
        case .p256(let key): key.pemRepresentation
        }
    }

    /// The public half as a JWK (RFC 7517) with `kid`, `alg` and `use`; `nil` for HS256, which
    /// has none to publish.
    public var publicJWK: PublicJWK? {
        switch self.material {
        case .hmac: return nil
        case .ed25519(let key):
            return PublicJWK(kty: "OKP", kid: self.id, alg: "EdDSA", crv: "Ed25519", x: Base64URL.encode(key.publicKey.rawRepresentation), y: nil)
        case .p256(let key):
            guard let point = key.publicKey.parameters else { return nil }
            return PublicJWK(kty: "EC", kid: self.id, alg: "ES256", crv: "P-256", x: point.x, y: point.y)
        }
    }

    /// Adds the key to a jwt-kit collection under its id.
    func add(to keys: JWTKeyCollection) async {
        switch self.material {
        case .hmac(let secret): await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: self.id))
        case .ed25519(let key): await keys.add(eddsa: key, kid: JWKIdentifier(string: self.id))
        case .p256(let key): await keys.add(ecdsa: key, kid: JWKIdentifier(string: self.id))
        }
    }

    /// RFC 7638: SHA-256 of the required members of the public JWK, in lexicographic order.
    static func thumbprint(of material: Material) -> String {
        let canonical: String
        switch material {
        case .hmac(let secret): return "hs256-" + Hex.encode(SHA256.hash(data: Data(secret.utf8)).prefix(6))
        case .ed25519(let key):
            canonical = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(key.publicKey.rawRepresentation))"}"#
        case .p256(let key):
            let point = key.publicKey.parameters
            canonical = #"{"crv":"P-256","kty":"EC","x":"\#(point?.x ?? "")","y":"\#(point?.y ?? "")"}"#
        }
        return Base64URL.encode(Array(SHA256.hash(data: Data(canonical.utf8))))
    }
}

/// Why a key could not be used.
public enum SigningKeyError: Error, Sendable, Hashable {
    /// HS256 keys come from `ACCESS_SECRET`, not from files.
    case notAsymmetric
    case unreadable(String)
}

/// A public key as the JWKS publishes it.
public struct PublicJWK: Codable, Sendable, Hashable {
    public var kty: String
    public var kid: String
    public var alg: String
    public var use = "sig"
    public var crv: String
    public var x: String
    public var y: String?

    init(kty: String, kid: String, alg: String, crv: String, x: String, y: String?) {
        self.kty = kty
        self.kid = kid
        self.alg = alg
        self.crv = crv
        self.x = x
        self.y = y
    }
}
