import AccessControl
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// What other software reads before it talks to us: the public keys that verify our access
/// tokens (RFC 7517 JWKS) and the discovery document (OpenID Connect Discovery's field names,
/// RFC 8414's content).
struct DiscoveryRoutes {
    let token: TokenClient
    /// `PUBLIC_URL`; else the URLs are built from the request's `Host`.
    let publicURL: String?
    /// The scheme of the gateway's own listener: `https` when it terminates TLS.
    let scheme: String

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/.well-known/jwks.json") { request, context in try await self.jwks(request, context) }
        routes.on(.get, "/.well-known/openid-configuration") { request, context in try await self.configuration(request, context) }
    }

    /// The verifying keys, kept by caches no longer than a rotated-in key is published ahead of
    /// signing (empty for HS256, whose key is secret).
    func jwks(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let keys = try await BackendCall.run("token") { try await self.token.publicKeys(requestID: context.requestID) }
        return JSONBody.response(.ok, keys.jwksJson, headers: [.cacheControl: "public, max-age=\(keys.maxAgeSeconds)"])
    }

    func configuration(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let keys = try await BackendCall.run("token") { try await self.token.publicKeys(requestID: context.requestID) }
        let base = try self.base(request)
        let document = Document(
            issuer: keys.issuer,
            tokenEndpoint: base + "/api/v1/auth/token",
            revocationEndpoint: base + "/api/v1/auth/revoke",
            jwksURI: base + "/.well-known/jwks.json",
            userinfoEndpoint: base + "/api/v1/users/me",
            scopesSupported: Scope.all,
            signingAlgorithms: [keys.algorithm]
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Built from the request's Host, the document names whatever host the client asked for: a
        // shared cache must neither keep it nor hand it to a client that asked another host.
        let headers: HTTPFields =
            self.publicURL != nil
            ? [.cacheControl: "public, max-age=300"]
            : [.cacheControl: "no-store", .vary: "Host"]
        return JSONBody.response(.ok, ByteBuffer(bytes: try encoder.encode(document)), headers: headers)
    }

    /// `PUBLIC_URL`, or the listener's scheme and the request's `Host` when it is a plain host
    /// name or address.
    func base(_ request: Request) throws -> String {
        if let publicURL { return publicURL }
        guard let host = request.head.authority, !host.isEmpty, host.utf8.count <= 255,
            host.utf8.allSatisfy({ Self.hostCharacters.contains($0) })
        else { throw APIError(.badRequest, "Host header missing or malformed") }
        return self.scheme + "://" + host
    }

    static let hostCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]".utf8)

    struct Document: Encodable {
        var issuer: String
        var tokenEndpoint: String
        var revocationEndpoint: String
        var jwksURI: String
        var userinfoEndpoint: String
        var scopesSupported: [String]
        var signingAlgorithms: [String]
        var grantTypesSupported = ["password", "refresh_token"]
        var responseTypesSupported = ["token"]
        var subjectTypesSupported = ["public"]
        var authMethodsSupported = ["none"]
        var claimsSupported = ["iss", "aud", "sub", "username", "role", "scope", "iat", "nbf", "exp", "jti", "tier", "sid"]

        enum CodingKeys: String, CodingKey {
            case issuer
            case tokenEndpoint = "token_endpoint"
            case revocationEndpoint = "revocation_endpoint"
            case jwksURI = "jwks_uri"
            case userinfoEndpoint = "userinfo_endpoint"
            case scopesSupported = "scopes_supported"
            case signingAlgorithms = "id_token_signing_alg_values_supported"
            case grantTypesSupported = "grant_types_supported"
            case responseTypesSupported = "response_types_supported"
            case subjectTypesSupported = "subject_types_supported"
            case authMethodsSupported = "token_endpoint_auth_methods_supported"
            case claimsSupported = "claims_supported"
        }
    }
}
