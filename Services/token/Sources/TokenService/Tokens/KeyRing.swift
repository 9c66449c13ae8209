#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
public import JWTKit
import Synchronization

/// The keys that sign and verify access tokens. The only code that touches jwt-kit's key collection.
///
/// jwt-kit falls back to its default key for an unknown `kid`; we do not: the header is read
/// first, and a token whose `alg` is not the pinned one, whose `kid` we do not have, or whose
/// `typ` is not `at+jwt` is refused before any signature check.
///
/// The keys change while the service runs (``KeyRingRefresher`` installs what the key directory
/// holds): each call works on the snapshot it started with, taken under a lock held for no
/// more than a copy, so signing and verifying never queue behind each other.
public final class KeyRing: Sendable {
    /// The header fields of a token, read before it is trusted.
    struct UnverifiedHeader: Decodable {
        var alg: String?
        var kid: String?
        var typ: String?
    }

    struct Snapshot: Sendable {
        var generation: Int
        var keys: JWTKeyCollection
        var set: KeySet
        var known: Set<String>
        /// Encoded headers of tokens that verified, each with its dot: a token starting with one
        /// needs no second decode (jwt-kit writes the same header fields in varying order, so
        /// there are a few). Only a header whose token's signature held is remembered, so forged
        /// tokens cannot fill the slots; a new key set starts afresh. Bounded: past the limit,
        /// headers are simply decoded every time.
        var acceptedHeaders: Set<[UInt8]> = []
    }

    private let state: Mutex<Snapshot>
    static let acceptedHeaderLimit = 32

    /// A ring of `set`.
    public init(_ set: KeySet) async {
        self.state = Mutex(await Self.snapshot(of: set, generation: 0))
    }

    /// A ring holding one HS256 key.
    public convenience init(hmacSecret: String) async {
        await self.init(KeySet(SigningKey(hmacSecret: hmacSecret)))
    }

    /// Replaces the keys (a rotation or a retirement seen in the key directory); tokens being
    /// signed or verified finish with the keys they started with.
    public func install(_ set: KeySet) async {
        let generation = self.state.withLock { $0.generation } + 1
        let snapshot = await Self.snapshot(of: set, generation: generation)
        self.state.withLock { current in
            if current.generation < generation { current = snapshot }
        }
    }

    private static func snapshot(of set: KeySet, generation: Int) async -> Snapshot {
        let keys = JWTKeyCollection()
        for key in set.verifying { await key.add(to: keys) }
        return Snapshot(generation: generation, keys: keys, set: set, known: Set(set.verifying.map(\.id)))
    }

    /// The keys in use now.
    public var keySet: KeySet { self.state.withLock { $0.set } }

    /// The algorithm a token must use.
    public var algorithm: SigningAlgorithm { self.keySet.algorithm }

    /// The key new tokens are signed with.
    public var signingKeyID: String { self.keySet.signing.id }

    /// Headers remembered as accepted (tests look).
    var acceptedHeaders: Set<[UInt8]> { self.state.withLock { $0.acceptedHeaders } }

    /// Signs `claims` with the current key, `typ` `at+jwt`.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        let (keys, kid) = self.state.withLock { ($0.keys, $0.set.signing.id) }
        var header = JWTHeader()
        header.typ = "at+jwt"
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }

    /// The claims of a token whose header and signature are good (time and audience not yet checked).
    public func verifiedClaims(_ token: String) async throws(TokenError) -> AccessTokenClaims {
        guard let dot = token.utf8.firstIndex(of: UInt8(ascii: ".")) else { throw .invalidAccessToken }
        let encodedHeader = Array(token.utf8[...dot])
        let (snapshot, remembered) = self.state.withLock { state in
            (state, state.acceptedHeaders.contains(encodedHeader))
        }
        if !remembered {
            guard let header = Self.header(of: token), Self.accepts(header, snapshot) else { throw .invalidAccessToken }
        }
        let claims: AccessTokenClaims
        do {
            claims = try await snapshot.keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .invalidAccessToken
        }
        if !remembered {
            self.state.withLock { state in
                if state.generation == snapshot.generation && state.acceptedHeaders.count < Self.acceptedHeaderLimit {
                    state.acceptedHeaders.insert(encodedHeader)
                }
            }
        }
        return claims
    }

    /// The pinned `alg`, a `kid` of this ring and `typ` `at+jwt`.
    private static func accepts(_ header: UnverifiedHeader, _ snapshot: Snapshot) -> Bool {
        guard header.alg == snapshot.set.algorithm.rawValue, let kid = header.kid, snapshot.known.contains(kid) else { return false }
        return header.typ?.lowercased() == "at+jwt"
    }

    static func header(of token: String) -> UnverifiedHeader? {
        guard let dot = token.firstIndex(of: "."), let json = Base64URL.decode(token[..<dot]) else { return nil }
        return try? JSONDecoder().decode(UnverifiedHeader.self, from: Data(json))
    }
}
