import AccessControl
import OpenAPIKit

/// Turns the ``APIEndpoint`` list into OpenAPIKit's document: operations with their parameters,
/// bodies, answers (the `{"detail": …}` errors every route shares included) and security.
extension APIDocument {
    static func document(_ endpoints: [APIEndpoint]) -> OpenAPI.Document {
        var paths: OpenAPI.PathItem.Map = [:]
        for endpoint in endpoints {
            let path = OpenAPI.Path(rawValue: endpoint.path)
            var item = paths[path]?.pathItemValue ?? OpenAPI.PathItem()
            item[endpoint.method] = Self.operation(endpoint)
            paths[path] = .pathItem(item)
        }
        return OpenAPI.Document(
            openAPIVersion: .v3_1_1,
            info: .init(
                title: "auth-service",
                description: """
                    Registration, login, short-lived JWT access tokens, one-time rotating refresh tokens with \
                    theft detection, device sessions, roles and scopes, API keys and administration. Every error \
                    is `{"detail": "…"}`.
                    """,
                version: "1"
            ),
            servers: [],
            paths: paths,
            components: Self.components,
            tags: Self.orderedTags(endpoints).map { OpenAPI.Tag(name: $0) }
        )
    }

    /// The tags in the order the endpoints first name them, which is the order viewers show.
    static func orderedTags(_ endpoints: [APIEndpoint]) -> [String] {
        var seen: Set<String> = []
        return endpoints.map(\.tag).filter { seen.insert($0).inserted }
    }

    static func operation(_ endpoint: APIEndpoint) -> OpenAPI.Operation {
        var parameters: OpenAPI.Parameter.Array = endpoint.pathParameters.map { name in
            .parameter(OpenAPI.Parameter(name: name, context: .path(schema: .string), description: Self.pathParameterDescription(name)))
        }
        for query in endpoint.query {
            parameters.append(
                .parameter(
                    OpenAPI.Parameter(name: query.name, context: .query(required: query.required, schema: .string), description: query.description)
                )
            )
        }
        var responses: OpenAPI.Response.Map = [:]
        for answer in endpoint.answers {
            responses[OpenAPI.Response.StatusCode(integerLiteral: answer.status)] = .response(Self.response(answer))
        }
        func error(_ status: Int, _ description: String) {
            let code = OpenAPI.Response.StatusCode(integerLiteral: status)
            if responses[code] == nil { responses[code] = .response(Self.response(.init(status: status, description: description, schema: "Error"))) }
        }
        if endpoint.body != nil || !endpoint.query.isEmpty || !endpoint.pathParameters.isEmpty {
            error(422, "A field missing or invalid, a malformed body")
        }
        if endpoint.body != nil {
            error(413, "Body larger than MAX_BODY_BYTES")
            error(415, "Wrong Content-Type")
        }
        switch endpoint.caller {
        case .anyone: break
        case .bearer, .bearerOrAPIKey, .refreshToken: error(401, "Missing, invalid, expired or revoked credentials (with `WWW-Authenticate`)")
        }
        if !endpoint.scopes.isEmpty { error(403, "The role or the token's scopes do not allow it") }
        if endpoint.rateLimited { error(429, "Rate limited (`Retry-After`)") }
        if endpoint.usesBackends {
            error(503, "A backend is down or overloaded (`Retry-After`)")
            error(504, "A backend did not answer in time")
        }
        return OpenAPI.Operation(
            tags: [endpoint.tag],
            summary: endpoint.summary,
            operationId: Self.operationID(endpoint),
            parameters: parameters,
            requestBody: endpoint.body.map(Self.request),
            responses: responses,
            security: Self.security(endpoint)
        )
    }

    /// `post_api_v1_auth_token`: unique, readable, stable.
    static func operationID(_ endpoint: APIEndpoint) -> String {
        let words = endpoint.path.split { !$0.isLetter && !$0.isNumber }
        return ([endpoint.method.rawValue.lowercased()] + words.map(String.init)).joined(separator: "_")
    }

    static func pathParameterDescription(_ name: String) -> String {
        switch name {
        case "id": "The user's id"
        case "session_id": "The session's id, as the session list gives it"
        default: name
        }
    }

    static func request(_ body: APIEndpoint.Body) -> OpenAPI.Request {
        switch body {
        case .json(let schema, let required):
            OpenAPI.Request(content: [.json: .content(OpenAPI.Content(schema: .reference(.component(named: schema))))], required: required)
        case .form(let schema):
            OpenAPI.Request(content: [.form: .content(OpenAPI.Content(schema: .reference(.component(named: schema))))], required: true)
        case .formOrJSON(let schema, let required):
            OpenAPI.Request(
                content: [
                    .form: .content(OpenAPI.Content(schema: .reference(.component(named: schema)))),
                    .json: .content(OpenAPI.Content(schema: .reference(.component(named: schema)))),
                ],
                required: required
            )
        }
    }

    static func response(_ answer: APIEndpoint.Answer) -> OpenAPI.Response {
        guard let schema = answer.schema else {
            if answer.contentType == .json { return OpenAPI.Response(description: answer.description) }
            return OpenAPI.Response(description: answer.description, content: [answer.contentType: .content(OpenAPI.Content(schema: .string))])
        }
        return OpenAPI.Response(
            description: answer.description,
            content: [answer.contentType: .content(OpenAPI.Content(schema: .reference(.component(named: schema))))]
        )
    }

    /// Alternatives: any one of the schemes listed passes.
    static func security(_ endpoint: APIEndpoint) -> [OpenAPI.SecurityRequirement]? {
        switch endpoint.caller {
        case .anyone: return []
        case .bearer: return [[.component(named: "bearer"): endpoint.scopes]]
        case .bearerOrAPIKey: return [[.component(named: "bearer"): endpoint.scopes], [.component(named: "apiKey"): endpoint.scopes]]
        case .refreshToken: return [[.component(named: "refreshCookie"): []], [.component(named: "bearer"): []]]
        }
    }

    // MARK: Components

    static var components: OpenAPI.Components {
        OpenAPI.Components(
            schemas: Self.schemas.reduce(into: [:]) { $0[OpenAPI.ComponentKey(stringLiteral: $1.key)] = $1.value },
            securitySchemes: [
                "bearer": .securityScheme(
                    .http(scheme: "bearer", bearerFormat: "JWT", description: "An access token from a login (`Authorization: Bearer …`)")
                ),
                "apiKey": .securityScheme(.apiKey(name: "X-API-Key", location: .header, description: "An API key from /api/v1/api-keys/generate")),
                "refreshCookie": .securityScheme(
                    .apiKey(name: "refresh_token", location: .cookie, description: "The refresh token, in the HttpOnly cookie a login set")
                ),
            ]
        )
    }

    static func object(_ properties: [(String, JSONSchema)]) -> JSONSchema {
        var map = OrderedDictionary<String, JSONSchema>()
        for (name, schema) in properties { map[name] = schema }
        return .object(properties: map)
    }

    static func reference(_ name: String, required: Bool = true) -> JSONSchema { .reference(.component(named: name), required: required) }

    static let optionalString = JSONSchema.string(required: false)
    /// What a change a second factor guards takes beside the password when the account has one.
    static let secondFactorFields: [(String, JSONSchema)] = [
        ("code", .string(required: false, description: "With a second factor on the account: the app's 6 digits; or `recovery_code`")),
        ("recovery_code", .string(required: false)),
    ]
    static let nullableString = JSONSchema.string(nullable: true)
    static let timestamp = JSONSchema.string(format: .dateTime)

    static let schemas: [(key: String, value: JSONSchema)] = [
        ("Error", object([("detail", .string(description: "What went wrong"))])),
        ("Message", object([("detail", .string)])),
        ("Status", object([("status", .string)])),
        ("Readiness", .object(properties: ["status": .string(required: false), "ready": .boolean(required: false)], additionalProperties: .a(true))),
        (
            "User",
            object([
                ("id", .integer), ("username", .string), ("email", .string(format: .email)), ("full_name", Self.nullableString),
                ("role", .string(allowedValues: Role.allCases.map { .init($0.rawValue) })), ("tier", Self.nullableString),
                ("is_active", .boolean), ("is_verified", .boolean), ("mfa_enabled", .boolean), ("created_at", Self.timestamp),
            ])
        ),
        ("UserList", .array(items: Self.reference("User"))),
        (
            "UserCreate",
            object([
                ("username", .string(description: "3 to 50 letters, digits, `_` or `-`")), ("email", .string(format: .email)),
                ("password", .string(description: "8 to 128 characters with upper case, lower case and a digit; not a common password")),
                ("full_name", Self.optionalString),
            ])
        ),
        ("LoginForm", object([("username", .string(description: "A username or an email")), ("password", .string)])),
        (
            "TokenRequest",
            object([
                ("grant_type", .string(required: false, allowedValues: ["password", "refresh_token"])),
                ("username", Self.optionalString), ("password", Self.optionalString),
                ("scope", .string(required: false, description: "Space-separated scopes; all the role allows when absent")),
                ("refresh_token", Self.optionalString),
            ])
        ),
        ("AccessToken", object([("access_token", .string), ("token_type", .string(allowedValues: ["bearer"])), ("expires_in", .integer)])),
        (
            "TokenPair",
            object([
                ("access_token", .string), ("refresh_token", .string), ("token_type", .string(allowedValues: ["bearer"])),
                ("expires_in", .integer), ("scope", .string),
            ])
        ),
        ("RefreshRequest", object([("refresh_token", .string)])),
        ("TOTPEnrollment", object([("secret", .string(description: "Base32, 160 bits")), ("otpauth_uri", .string)])),
        ("RecoveryCodes", object([("recovery_codes", .array(items: .string))])),
        ("MFACode", object([("code", .string(description: "The app's 6 digits"))])),
        (
            "MFAConfirmation",
            object([
                ("current_password", .string), ("code", .string(required: false, description: "The app's 6 digits; or `recovery_code`")),
                ("recovery_code", Self.optionalString),
            ])
        ),
        (
            "MFAVerify",
            object([
                ("mfa_token", .string), ("code", .string(required: false, description: "The app's 6 digits; or `recovery_code`")),
                ("recovery_code", Self.optionalString),
            ])
        ),
        (
            "MFARequired",
            object([
                ("detail", .string(allowedValues: ["mfa_required"])), ("mfa_token", .string(description: "5 minutes, 5 attempts, single use")),
                ("error", .string(required: false, description: "`mfa_required`, on the OAuth2 token endpoint")),
            ])
        ),
        ("PasswordChange", object([("current_password", .string), ("new_password", .string)] + Self.secondFactorFields)),
        (
            "ProfileUpdate",
            object(
                [("full_name", Self.optionalString), ("email", Self.optionalString), ("current_password", Self.optionalString)]
                    + Self.secondFactorFields
            )
        ),
        (
            "Revocation",
            object([("token", .string), ("token_type_hint", .string(required: false, allowedValues: ["access_token", "refresh_token"]))])
        ),
        (
            "APIKeyCreate",
            object(
                [
                    ("current_password", .string), ("name", Self.optionalString), ("scopes", .array(required: false, items: .string)),
                    ("expires_in_days", .integer(required: false, minimum: (1, exclusive: false))),
                ] + Self.secondFactorFields
            )
        ),
        (
            "APIKeyCreated",
            object([
                ("api_key", .string), ("id", .integer), ("prefix", .string), ("name", Self.nullableString),
                ("scopes", .array(items: .string)), ("created_at", Self.timestamp), ("expires_at", .string(format: .dateTime, nullable: true)),
                ("message", .string),
            ])
        ),
        (
            "Dashboard",
            object([
                ("total_users", .integer), ("active_users", .integer), ("inactive_users", .integer),
                ("users_by_role", .object(additionalProperties: .b(.integer))),
            ])
        ),
        (
            "Session",
            object([
                ("id", .string), ("created_at", Self.timestamp), ("last_used_at", Self.timestamp), ("expires_at", Self.timestamp),
                ("user_agent", .string), ("ip_address", .string), ("current", .boolean(description: "The session of the caller's token")),
            ])
        ),
        (
            "SessionList",
            object([
                ("sessions", .array(items: Self.reference("Session"))),
                ("next_cursor", .string(required: true, nullable: true, description: "The next page's cursor; null on the last page")),
            ])
        ),
        ("RevokeAllSessions", object([("keep_current", .boolean(required: false))])),
        ("PasswordConfirmation", object([("current_password", .string)])),
        ("AccountDeletion", object([("current_password", .string)] + Self.secondFactorFields)),
        ("Null", .null()),
        ("EmailRequest", object([("email", .string(format: .email))])),
        (
            "ResetPassword",
            object([
                ("token", .string(required: false, description: "The link's token; or `email` and `code`")),
                ("email", .string(format: .email, required: false)), ("code", .string(required: false, description: "The message's 8 digits")),
                ("password", .string),
                ("mfa_code", .string(required: false, description: "With a second factor on the account: the app's 6 digits; or `recovery_code`")),
                ("recovery_code", Self.optionalString),
            ])
        ),
        (
            "VerifyEmail",
            object([
                ("token", .string(required: false, description: "The link's token; or `email` and `code`")),
                ("email", .string(format: .email, required: false)), ("code", .string(required: false, description: "The message's 8 digits")),
            ])
        ),
        (
            "ResetPasswordError",
            object([
                (
                    "detail",
                    .one(of: [
                        .string(allowedValues: ["RESET_PASSWORD_BAD_TOKEN"]),
                        object([("code", .string(allowedValues: ["RESET_PASSWORD_INVALID_PASSWORD"])), ("reason", .string)]),
                    ])
                )
            ])
        ),
        ("SessionsEnded", object([("detail", .string), ("sessions_ended", .integer), ("current_kept", .boolean(required: false))])),
        ("JWKS", object([("keys", .array(items: .object(additionalProperties: .a(true))))])),
        ("Discovery", .object(properties: ["issuer": .string, "jwks_uri": .string, "token_endpoint": .string], additionalProperties: .a(true))),
        ("OpenAPIDocument", .object(properties: ["openapi": .string], additionalProperties: .a(true))),
        ("AuthKitRegister", object([("email", .string(format: .email)), ("username", .string), ("password", .string)])),
        ("AuthKitLogin", object([("username_or_email", .string), ("password", .string)])),
        ("AuthKitTokens", object([("access_token", .string), ("refresh_token", .string)])),
        ("AuthKitUser", object([("id", .integer), ("email", .string), ("username", .string), ("is_staff", .boolean), ("is_active", .boolean)])),
        ("AuthKitMe", object([("id", .integer), ("email", .string), ("username", .string), ("is_staff", .boolean), ("is_superuser", .boolean)])),
        ("AuthKitLogout", object([("logout", .string), ("ok", .boolean)])),
    ]
}
