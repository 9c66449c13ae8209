import ServiceRuntime
import Crypto
import Foundation
public import JWTKit

/// The keys that sign and verify access tokens. The only code that touches jwt-kit's key collection.
///
/// jwt-kit falls back to its default key for an unknown `kid`; we do not: the header is read
/// first, and a token whose `alg` is not pinned, whose `kid` we do not have, or whose `typ` is not
/// `at+jwt` is refused before any signature check.
public actor KeyRing {
    /// The header fields of a token, read before it is trusted.
    struct UnverifiedHeader: Decodable {
        var alg: String?
        var kid: String?
        var typ: String?
    }

    private let keys = JWTKeyCollection()
    private var known: Set<String> = []
    /// Encoded headers of tokens that verified, each with its dot: a token starting with one needs
    /// no second decode (jwt-kit writes the same header fields in varying order, so there are a
    /// few). Only a header whose token's signature held is remembered, so forged tokens cannot
    /// fill the slots. Bounded: past the limit, headers are simply decoded every time. The ring's
    /// keys never change after `init`, so what was acceptable stays so.
    private(set) var acceptedHeaders: Set<[UInt8]> = []
    static let acceptedHeaderLimit = 32
    /// The algorithms a token may use.
    public let pinnedAlgorithms: Set<String>
    /// The key new tokens are signed with.
    public private(set) var signingKeyID: String

    /// A ring holding one HS256 key. Its `kid` is derived from the secret, so every token
    /// instance with the same secret names it the same.
    public init(hmacSecret: String) async {
        let fingerprint = Hex.encode(SHA256.hash(data: Data(hmacSecret.utf8)).prefix(6))
        let kid = "hs256-\(fingerprint)"
        self.signingKeyID = kid
        self.pinnedAlgorithms = ["HS256"]
        await self.keys.add(hmac: HMACKey(from: hmacSecret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        self.known.insert(kid)
    }

    /// Signs `claims` with the current key, `typ` `at+jwt`.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        var header = JWTHeader()
        header.typ = "at+jwt"
        return try await self.keys.sign(claims, kid: JWKIdentifier(string: self.signingKeyID), header: header)
    }

    /// The claims of a token whose header and signature are good (time and audience not yet checked).
    public func verifiedClaims(_ token: String) async throws(TokenError) -> AccessTokenClaims {
        guard let dot = token.utf8.firstIndex(of: UInt8(ascii: ".")) else { throw .invalidAccessToken }
        let encodedHeader = Array(token.utf8[...dot])
        let remembered = self.acceptedHeaders.contains(encodedHeader)
        if !remembered {
            guard let header = Self.header(of: token), self.acceptsHeader(header) else { throw .invalidAccessToken }
        }
        let claims: AccessTokenClaims
        do {
            claims = try await self.keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .invalidAccessToken
        }
        if !remembered && self.acceptedHeaders.count < Self.acceptedHeaderLimit { self.acceptedHeaders.insert(encodedHeader) }
        return claims
    }

    /// A pinned `alg`, a `kid` of this ring and `typ` `at+jwt`.
    private func acceptsHeader(_ header: UnverifiedHeader) -> Bool {
        guard let alg = header.alg, self.pinnedAlgorithms.contains(alg), let kid = header.kid, self.known.contains(kid) else { return false }
        return header.typ?.lowercased() == "at+jwt"
    }

    static func header(of token: String) -> UnverifiedHeader? {
        guard let dot = token.firstIndex(of: "."), let json = Base64URL.decode(token[..<dot]) else { return nil }
        return try? JSONDecoder().decode(UnverifiedHeader.self, from: Data(json))
    }
}
