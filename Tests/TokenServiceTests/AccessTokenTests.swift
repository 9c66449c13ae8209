import Foundation
import JWTKit
import Logging
import NIOCore
import Testing
import WireProtocol
import WireTransport
@testable import TokenService

/// A denylist that allows everything except what a test denies (Redis is tested in IntegrationTests).
actor PermissiveDenylist: AccessTokenDenylist {
    var denied: Set<String> = []
    /// Until when each denied token is kept.
    var deniedUntil: [String: Double] = [:]
    func deny(jti: String, userID: Int64, expiresAt: Double, now: Double) async throws {
        self.denied.insert(jti)
        self.deniedUntil[jti] = expiresAt
    }
    func isAllowed(jti: String, userID: Int64, session: String?, issuedAt: Double) async throws -> Bool { !self.denied.contains(jti) }
}

/// A refresh store that knows no session.
struct EmptyRefreshStore: RefreshTokenStore {
    func startFamily(_ token: RefreshToken, grant: SessionGrant, client: ClientDetails, now: Double, lifetime: Int) async throws -> Int { 0 }
    func rotate(_ presented: RefreshToken, next: RefreshToken, now: Double, lifetime: Int, absoluteLifetime: Int, reuseGrace: Int) async throws
        -> RotationOutcome
    { .invalid }
    func revokeFamily(of token: RefreshToken) async throws -> Bool { false }
    func revokeAll(userID: Int64, now: Double, lifetime: Int) async throws -> Int { 0 }
    func setTier(userID: Int64, tier: String) async throws -> Int { 0 }
    func sessions(userID: Int64) async throws -> [SessionRecord] { [] }
    func endSession(userID: Int64, familyID: String) async throws -> Bool { false }
    func endSessions(userID: Int64, keeping: String?) async throws -> Int { 0 }
}

@Suite("Access tokens")
struct AccessTokenTests {
    // 64 characters, so the attacker's HS512 key in one test is as long as jwt-kit asks.
    static let secret = "an-access-secret-of-at-least-32-characters-padded-to-64-characters"
    static let now = 1_800_000_000.0

    static func claims(iss: String = "auth-service", aud: String = "auth-service", iat: Double = now, exp: Int = Int(now) + 900) -> AccessTokenClaims
    {
        AccessTokenClaims(
            iss: iss,
            aud: aud,
            sub: "42",
            username: "john_doe",
            role: "user",
            scope: "profile:read",
            iat: iat,
            nbf: Int(iat),
            exp: exp,
            jti: "jti-\(UUID().uuidString)"
        )
    }

    static func verifier(_ ring: KeyRing, denylist: any AccessTokenDenylist = PermissiveDenylist()) -> AccessTokenVerifier {
        AccessTokenVerifier(keyRing: ring, denylist: denylist, issuer: "auth-service", audience: "auth-service")
    }

    @Test func signedTokensVerifyWithTheirClaims() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let token = try await ring.sign(Self.claims())
        let header = try #require(KeyRing.header(of: token))
        #expect(header.typ == "at+jwt")
        #expect(header.alg == "HS256")
        #expect(header.kid == ring.signingKeyID)
        let claims = try await Self.verifier(ring).verify(token, now: Self.now + 10)
        #expect(claims.sub == "42")
        #expect(claims.username == "john_doe")
    }

    @Test func theKeyIDIsTheSameOnEveryInstanceWithTheSameSecret() async {
        let first = await KeyRing(hmacSecret: Self.secret).signingKeyID
        let second = await KeyRing(hmacSecret: Self.secret).signingKeyID
        let other = await KeyRing(hmacSecret: Self.secret + "x").signingKeyID
        #expect(first == second)
        #expect(first != other)
    }

    @Test(arguments: [
        ("expired", claims(exp: Int(now) - 60)),
        ("wrong issuer", claims(iss: "someone-else")),
        ("wrong audience", claims(aud: "another-api")),
        ("not yet valid", claims(iat: now + 3600, exp: Int(now) + 7200)),
    ])
    func claimsOutsideWhatWeAcceptAreRefused(_ label: String, _ claims: AccessTokenClaims) async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let token = try await ring.sign(claims)
        await #expect(throws: TokenError.invalidAccessToken, "\(label)") {
            _ = try await Self.verifier(ring).verify(token, now: Self.now)
        }
    }

    /// A token signed outside the ring with `Self.secret`, under `kid`, with the header fields given.
    static func signedElsewhere(
        kid: String,
        digest: DigestAlgorithm = .sha256,
        typ: String = "at+jwt",
        cty: String? = nil
    ) async throws -> String {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: Self.secret), digestAlgorithm: digest, kid: JWKIdentifier(string: kid))
        var header = JWTHeader()
        header.typ = typ
        header.cty = cty
        return try await keys.sign(Self.claims(), kid: JWKIdentifier(string: kid), header: header)
    }

    @Test func aSmallClockSkewIsTolerated() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let token = try await ring.sign(Self.claims(exp: Int(Self.now) + 900))
        _ = try await Self.verifier(ring).verify(token, now: Self.now + 900 + 10)
    }

    @Test func aGoodTokenWhoseHeaderIsWrittenOtherwiseIsStillAccepted() async throws {
        // A header is decoded and checked field by field the first time its exact encoding is
        // seen, then remembered; any acceptable encoding passes, not only our signer's.
        let ring = await KeyRing(hmacSecret: Self.secret)
        let token = try await Self.signedElsewhere(kid: ring.signingKeyID, cty: "claims")
        let ours = try await ring.sign(Self.claims())
        #expect(token.prefix(while: { $0 != "." }) != ours.prefix(while: { $0 != "." }))
        _ = try await Self.verifier(ring).verify(token, now: Self.now)
        _ = try await Self.verifier(ring).verify(ours, now: Self.now)
        let remembered = ring.acceptedHeaders
        #expect(remembered.contains(Array(ours.prefix(while: { $0 != "." }).utf8) + [UInt8(ascii: ".")]))
        #expect(remembered.count == 2)
        // A remembered header does not let a bad signature through.
        let tampered = String(ours.dropLast(4)) + (ours.hasSuffix("AAAA") ? "BBBB" : "AAAA")
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(tampered, now: Self.now) }
        // Refused headers are never remembered.
        _ = try? await Self.verifier(ring).verify("eyJhbGciOiJub25lIn0.e30.", now: Self.now)
        #expect(ring.acceptedHeaders.count == 2)
    }

    @Test func forgedTokensWithAcceptableHeadersFillNoSlot() async throws {
        // Acceptable headers written in 40 ways, each on a token whose signature is wrong: none
        // is remembered, so the slots stay free for headers of tokens that really verified.
        let ring = await KeyRing(hmacSecret: Self.secret)
        let kid = ring.signingKeyID
        let payload = Base64URL.encode(Array(try JSONEncoder().encode(Self.claims())))
        for index in 0..<40 {
            let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"at+jwt","kid":"\#(kid)","x":\#(index)}"#.utf8))
            let forged = "\(header).\(payload).\(Base64URL.encode(Array(repeating: UInt8(index), count: 32)))"
            await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(forged, now: Self.now) }
        }
        #expect(ring.acceptedHeaders.isEmpty)
        _ = try await Self.verifier(ring).verify(try await ring.sign(Self.claims()), now: Self.now)
        #expect(ring.acceptedHeaders.count == 1)
    }

    @Test func hs512WithTheSameSecretIsRefused() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let forged = try await Self.signedElsewhere(kid: ring.signingKeyID, digest: .sha512)
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(forged, now: Self.now) }
    }

    @Test func algNoneIsRefused() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let kid = ring.signingKeyID
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"at+jwt","kid":"\#(kid)"}"#.utf8))
        let payload = Base64URL.encode(Array(try JSONEncoder().encode(Self.claims())))
        for forged in ["\(header).\(payload).", "\(header).\(payload)"] {
            await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(forged, now: Self.now) }
        }
    }

    @Test func unknownKeyIDAndWrongTypeAreRefused() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let unknownKid = try await Self.signedElsewhere(kid: "some-other-kid")
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(unknownKid, now: Self.now) }

        let wrongType = try await Self.signedElsewhere(kid: ring.signingKeyID, typ: "JWT")
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(wrongType, now: Self.now) }
    }

    @Test func oversizeAndGarbageTokensAreRefused() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        await #expect(throws: TokenError.tokenTooLarge) {
            _ = try await Self.verifier(ring).verify(String(repeating: "a", count: 9000), now: Self.now)
        }
        for garbage in ["", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9", "not a token at all"] {
            await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring).verify(garbage, now: Self.now) }
        }
    }

    @Test func aLoggedOutTokenStaysDeniedAsLongAsTheLeewayWouldAcceptIt() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let denylist = PermissiveDenylist()
        let operations = TokenOperations(
            keyRing: ring,
            store: EmptyRefreshStore(),
            denylist: denylist,
            issuer: "auth-service",
            audience: "auth-service",
            accessLifetime: 900,
            refreshLifetime: 3600,
            now: { Self.now }
        )
        let claims = Self.claims()
        var revoke = WireRevokeSessionRequest()
        revoke.accessToken = try await ring.sign(claims)
        let context = WireRequest(
            header: FrameHeader(kind: .request, code: WireOperation.revokeSession.rawValue, correlationID: 1),
            payload: ByteBuffer(),
            deadline: .distantFuture,
            logger: Logger(label: "test")
        )
        #expect(try await operations.revoke(revoke, context).accessTokenDenied)
        let until = try #require(await denylist.deniedUntil[claims.jti])
        // The verifier still takes the token 30 s past `exp`: the denial must last that long.
        _ = try await operations.verifier.verifiedStateless(revoke.accessToken, now: Double(claims.exp) + 29)
        #expect(until >= Double(claims.exp) + operations.verifier.leeway)
    }

    @Test func aDeniedTokenIsRefused() async throws {
        let ring = await KeyRing(hmacSecret: Self.secret)
        let denylist = PermissiveDenylist()
        let claims = Self.claims()
        let token = try await ring.sign(claims)
        try await denylist.deny(jti: claims.jti, userID: 42, expiresAt: Double(claims.exp), now: Self.now)
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Self.verifier(ring, denylist: denylist).verify(token, now: Self.now) }
    }
}

@Suite("Refresh token format")
struct RefreshTokenFormatTests {
    @Test func madeTokensParseBack() throws {
        let token = RefreshToken.make(userID: 7)
        let parsed = try #require(RefreshToken(parsing: token.value))
        #expect(parsed == token)
        let next = RefreshToken.make(userID: 7, familyID: token.familyID)
        #expect(next.familyID == token.familyID)
        #expect(next.value != token.value)
    }

    @Test func randomValuesHaveTheirLengthAndNeverRepeat() {
        var seen: Set<[UInt8]> = []
        for _ in 0..<1000 {
            let value = RefreshToken.randomBytes(32)
            #expect(value.count == 32)
            seen.insert(value)
        }
        #expect(seen.count == 1000)
        #expect(RefreshToken.randomBytes(16).count == 16)
    }

    @Test(arguments: [
        "", "7", "7.abc.def", "x.\(String(repeating: "a", count: 22)).\(String(repeating: "b", count: 43))",
        "0.\(String(repeating: "a", count: 22)).\(String(repeating: "b", count: 43))",
        "7.\(String(repeating: "a", count: 22)).\(String(repeating: "!", count: 43))", String(repeating: "7", count: 200),
    ])
    func foreignStringsAreNotTokens(_ text: String) {
        #expect(RefreshToken(parsing: text) == nil)
    }

    @Test func base64URLRoundTrips() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64URL.decode(Substring(Base64URL.encode(bytes))) == bytes)
        }
    }
}
