import OpenAPIKit

/// One operation of the HTTP API as the OpenAPI document describes it: what it takes, who may
/// call it, what it answers. ``APIDocument`` lists them and turns them into OpenAPIKit's types.
struct APIEndpoint: Sendable {
    /// Who may call.
    enum Caller: Sendable {
        /// Anyone.
        case anyone
        /// A bearer access token.
        case bearer
        /// A bearer access token or an `X-API-Key`.
        case bearerOrAPIKey
        /// A refresh token, in the refresh cookie or (where said) the body or `Authorization`.
        case refreshToken
    }

    /// How the request body comes.
    enum Body: Sendable {
        /// A JSON object of the named schema.
        case json(String, required: Bool = true)
        /// A form of the named schema (`application/x-www-form-urlencoded`).
        case form(String)
        /// A form or the same fields as JSON.
        case formOrJSON(String, required: Bool = true)
    }

    /// One answer: its status, what it means, the schema of its JSON body (none: no body), its
    /// content type when not JSON.
    struct Answer: Sendable {
        var status: Int
        var description: String
        var schema: String?
        var contentType: OpenAPI.ContentType = .json
    }

    var method: OpenAPI.HttpMethod
    var path: String
    var tag: String
    var summary: String
    var caller: Caller = .anyone
    /// Space-separated scopes the caller's token or key must hold, if any.
    var scopes: [String] = []
    var query: [(name: String, description: String, required: Bool)] = []
    var body: Body?
    var answers: [Answer]
    /// Whether a backend answers it (so 503 and 504 can come back).
    var usesBackends = true
    /// Whether the per-user or per-address rate limit counts it.
    var rateLimited = true

    /// The path's `{name}` segments.
    var pathParameters: [String] {
        self.path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}
