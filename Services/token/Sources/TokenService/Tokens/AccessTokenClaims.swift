public import JWTKit

/// The claims of an access token (`typ` `at+jwt`).
///
/// `iat` is whole seconds, as every JWT library expects (PyJWT, for one, refuses a fractional
/// `iat` during its first second as "not yet valid"); `iat_ms` carries the milliseconds, so that
/// a revocation at a given moment kills the tokens issued before it and spares those issued
/// after, even within the same second.
public struct AccessTokenClaims: JWTPayload, Sendable, Hashable {
    public var iss: String
    public var aud: String
    /// The stable user id.
    public var sub: String
    public var username: String
    public var role: String
    /// Space-separated scopes.
    public var scope: String
    public var iat: Int
    /// The issue time in milliseconds (a private claim).
    public var iatMs: Int64?
    public var nbf: Int
    public var exp: Int
    public var jti: String
    /// The subscription tier (seed 002); absent from the token when the user has none.
    public var tier: String?
    /// The session (refresh family) the token was issued in.
    public var sid: String?
    /// How the user authenticated (RFC 8176), kept for the session.
    public var amr: [String]?
    /// When the user authenticated (the session's login), seconds since 1970 (OpenID Connect).
    public var authTime: Int?

    public init(
        iss: String,
        aud: String,
        sub: String,
        username: String,
        role: String,
        scope: String,
        iat: Double,
        nbf: Int,
        exp: Int,
        jti: String,
        tier: String? = nil,
        sid: String? = nil,
        amr: [String]? = nil,
        authTime: Int? = nil
    ) {
        self.iss = iss
        self.aud = aud
        self.sub = sub
        self.username = username
        self.role = role
        self.scope = scope
        self.iat = Int(iat.rounded(.down))
        self.iatMs = Int64((iat * 1000).rounded(.down))
        self.nbf = nbf
        self.exp = exp
        self.jti = jti
        self.tier = tier
        self.sid = sid
        self.amr = amr
        self.authTime = authTime
    }

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, username, role, scope, iat, nbf, exp, jti, tier, sid, amr
        case iatMs = "iat_ms"
        case authTime = "auth_time"
    }

    /// When the token was issued, to the millisecond when it says so (seconds since 1970).
    public var issuedAt: Double { self.iatMs.map { Double($0) / 1000 } ?? Double(self.iat) }

    /// Signature checks only; time, issuer and audience are checked by ``AccessTokenVerifier``
    /// against an injected clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Whether the token is inside its validity window at `now`, with `leeway` seconds of clock skew.
    public func isCurrent(at now: Double, leeway: Double) -> Bool {
        now < Double(self.exp) + leeway && now + leeway >= Double(self.nbf)
    }
}
