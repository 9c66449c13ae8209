import AccessControl
import Foundation
import OpenAPIKit

/// The OpenAPI 3.1 document of the gateway's HTTP API, served at `/openapi.json`.
///
/// Written beside the routes rather than derived from them: the router knows paths and methods,
/// not bodies or answers. `GatewayTests/OpenAPITests` compares the two in both directions, and
/// `make test` runs `openapi-spec-validator` on the served document.
enum APIDocument {
    /// The endpoints, seed 003's router under `authRouterPrefix` when it is mounted.
    static func endpoints(authRouterPrefix: String?, openAPI: Bool) -> [APIEndpoint] {
        var list = Self.health + Self.seed000 + Self.seed001 + Self.sessions + Self.admin + Self.discovery
        if let prefix = authRouterPrefix { list += Self.authRouter(prefix) }
        if openAPI { list += Self.viewers }
        return list
    }

    /// The whole document, JSON-encoded with sorted keys (the same bytes on every start).
    static func json(authRouterPrefix: String?, openAPI: Bool = true) throws -> Data {
        let document = Self.document(Self.endpoints(authRouterPrefix: authRouterPrefix, openAPI: openAPI))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    // MARK: The routes

    static let health: [APIEndpoint] = [
        .init(
            method: .get,
            path: "/health/live",
            tag: "health",
            summary: "Liveness: the gateway runs (no backend asked)",
            answers: [.init(status: 200, description: "Alive", schema: "Status")],
            usesBackends: false,
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/health/ready",
            tag: "health",
            summary: "Readiness: identity and a token instance answer, with their stores",
            answers: [.init(status: 200, description: "Ready", schema: "Readiness")],
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/health",
            tag: "health",
            summary: "Seed 001's name for the readiness answer",
            answers: [.init(status: 200, description: "Ready", schema: "Readiness")],
            rateLimited: false
        ),
    ]

    static let seed000: [APIEndpoint] = [
        .init(
            method: .post,
            path: "/api/v1/register",
            tag: "browser flow (seed 000)",
            summary: "Register a user",
            body: .json("UserCreate"),
            answers: [
                .init(status: 201, description: "The new user", schema: "User"),
                .init(status: 409, description: "Username or email taken", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/login",
            tag: "browser flow (seed 000)",
            summary: "Log in: an access token, and the refresh token in an HttpOnly cookie",
            body: .formOrJSON("LoginForm"),
            answers: [
                .init(status: 200, description: "Logged in; `Set-Cookie` carries the refresh token", schema: "AccessToken"),
                .init(status: 401, description: "Incorrect username or password", schema: "Error"),
                .init(
                    status: 403,
                    description: "mfa_required: the account has a second factor; go on at /api/v1/auth/mfa/verify",
                    schema: "MFARequired"
                ),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/refresh",
            tag: "browser flow (seed 000)",
            summary: "Rotate the refresh cookie: a new access token and cookie; the presented token is spent",
            caller: .refreshToken,
            answers: [.init(status: 200, description: "New tokens; the cookie is renewed", schema: "AccessToken")]
        ),
        .init(
            method: .post,
            path: "/api/v1/logout",
            tag: "browser flow (seed 000)",
            summary: "End the session of the refresh cookie and deny the bearer token",
            caller: .refreshToken,
            answers: [.init(status: 200, description: "Logged out; the cookie is cleared", schema: "Message")]
        ),
        .init(
            method: .get,
            path: "/api/v1/about_me",
            tag: "browser flow (seed 000)",
            summary: "The current user",
            caller: .bearerOrAPIKey,
            answers: [.init(status: 200, description: "The user", schema: "User")]
        ),
    ]

    static let seed001: [APIEndpoint] = [
        .init(
            method: .post,
            path: "/api/v1/users/register",
            tag: "API flow (seed 001)",
            summary: "Register a user",
            body: .json("UserCreate"),
            answers: [
                .init(status: 201, description: "The new user", schema: "User"),
                .init(status: 409, description: "Username or email taken", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/token",
            tag: "API flow (seed 001)",
            summary: "OAuth2 token endpoint: the password grant (the default) or the refresh_token grant",
            body: .formOrJSON("TokenRequest"),
            answers: [
                .init(status: 200, description: "A token pair", schema: "TokenPair"),
                .init(status: 400, description: "unsupported_grant_type", schema: "Error"),
                .init(status: 401, description: "Incorrect credentials, or an invalid or reused refresh token", schema: "Error"),
                .init(
                    status: 403,
                    description: "mfa_required: the account has a second factor; go on at /api/v1/auth/mfa/verify",
                    schema: "MFARequired"
                ),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/refresh",
            tag: "API flow (seed 001)",
            summary: "Rotate a refresh token (body, `Authorization: Bearer` or the refresh cookie)",
            caller: .refreshToken,
            body: .json("RefreshRequest", required: false),
            answers: [.init(status: 200, description: "A new pair; the presented token is spent", schema: "TokenPair")]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/logout",
            tag: "API flow (seed 001)",
            summary: "End the caller's session of this refresh token and deny the access token",
            caller: .bearer,
            body: .json("RefreshRequest"),
            answers: [
                .init(status: 200, description: "Logged out", schema: "Message"),
                .init(status: 400, description: "Not a live refresh token of the caller", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/change-password",
            tag: "API flow (seed 001)",
            summary: "Change the password; every session, token and API key of the user ends",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("PasswordChange"),
            answers: [
                .init(status: 200, description: "Changed", schema: "Message"),
                .init(status: 400, description: "Wrong current password, or unchanged", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/forgot-password",
            tag: "Account email",
            summary: "Ask for a password reset message (a code and a link); the same answer for every address",
            body: .json("EmailRequest"),
            answers: [.init(status: 202, description: "Accepted: a message goes if an account has the address", schema: "Null")]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/reset-password",
            tag: "Account email",
            summary: "Set a new password with the link's token or the address and its code; every session, token and API key ends",
            body: .json("ResetPassword"),
            answers: [
                .init(status: 200, description: "Changed; nobody is logged in", schema: "Null"),
                .init(
                    status: 400,
                    description: "RESET_PASSWORD_BAD_TOKEN, or RESET_PASSWORD_INVALID_PASSWORD with its reason",
                    schema: "ResetPasswordError"
                ),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/request-verify-token",
            tag: "Account email",
            summary: "Ask for a verification message (a code and a link); the same answer for every address",
            body: .json("EmailRequest"),
            answers: [.init(status: 202, description: "Accepted: a message goes if an unverified account has the address", schema: "Null")]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/verify",
            tag: "Account email",
            summary: "Verify the address with the link's token or the address and its code",
            body: .json("VerifyEmail"),
            answers: [
                .init(status: 200, description: "Verified", schema: "User"),
                .init(status: 400, description: "VERIFY_USER_BAD_TOKEN or VERIFY_USER_ALREADY_VERIFIED", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/mfa/totp/enroll",
            tag: "Two-step sign-in",
            summary: "Start TOTP enrolment (the password again): a secret and its otpauth URI, pending until confirmed",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("PasswordConfirmation"),
            answers: [
                .init(status: 200, description: "The secret (base32) and the otpauth:// URI an app reads", schema: "TOTPEnrollment"),
                .init(status: 400, description: "Current password is incorrect", schema: "Error"),
                .init(status: 409, description: "MFA_ALREADY_ENABLED", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/mfa/totp/confirm",
            tag: "Two-step sign-in",
            summary: "Confirm enrolment with the app's first code: the factor is on; ten recovery codes, shown once",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("MFACode"),
            answers: [
                .init(status: 200, description: "The recovery codes", schema: "RecoveryCodes"),
                .init(status: 400, description: "MFA_BAD_CODE or MFA_NOT_ENABLED (nothing pending)", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/mfa/recovery-codes",
            tag: "Two-step sign-in",
            summary: "A new set of recovery codes (the password and a code); the old set dies",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("MFAConfirmation"),
            answers: [
                .init(status: 200, description: "The recovery codes", schema: "RecoveryCodes"),
                .init(status: 400, description: "Current password is incorrect, MFA_BAD_CODE or MFA_NOT_ENABLED", schema: "Error"),
            ]
        ),
        .init(
            method: .delete,
            path: "/api/v1/auth/mfa/totp",
            tag: "Two-step sign-in",
            summary: "Turn the second factor off (the password and a code or a recovery code)",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("MFAConfirmation"),
            answers: [
                .init(status: 200, description: "The user, without a factor", schema: "User"),
                .init(status: 400, description: "Current password is incorrect, MFA_BAD_CODE or MFA_NOT_ENABLED", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/mfa/verify",
            tag: "Two-step sign-in",
            summary: "The second step of a login that answered mfa_required: what that login route would have answered",
            body: .json("MFAVerify"),
            answers: [
                .init(status: 200, description: "As the login route answers (tokens, and its cookies)", schema: "TokenPair"),
                .init(status: 400, description: "MFA_BAD_CODE, or MFA_BAD_TOKEN (unknown, used, expired or out of attempts)", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/logout-all",
            tag: "API flow (seed 001)",
            summary: "Log out everywhere: every session, access token and API key of the user ends",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            answers: [.init(status: 200, description: "Done", schema: "Message")]
        ),
        .init(
            method: .post,
            path: "/api/v1/auth/revoke",
            tag: "API flow (seed 001)",
            summary: "RFC 7009 revocation of an access or refresh token (200 whether or not it was valid)",
            body: .formOrJSON("Revocation"),
            answers: [.init(status: 200, description: "Revoked, or nothing to revoke (empty body)")]
        ),
        .init(
            method: .get,
            path: "/api/v1/users/me",
            tag: "profile",
            summary: "The current user",
            caller: .bearerOrAPIKey,
            scopes: [Scope.profileRead],
            answers: [.init(status: 200, description: "The user", schema: "User")]
        ),
        .init(
            method: .put,
            path: "/api/v1/users/me",
            tag: "profile",
            summary: "Change the full name or the email (a new email needs the current password)",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("ProfileUpdate"),
            answers: [
                .init(status: 200, description: "The updated user", schema: "User"),
                .init(status: 400, description: "Wrong current password", schema: "Error"),
                .init(status: 409, description: "Email taken", schema: "Error"),
            ]
        ),
        .init(
            method: .delete,
            path: "/api/v1/users/me",
            tag: "profile",
            summary: "Deactivate the account (the password typed again); every token and API key of it ends",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("AccountDeletion"),
            answers: [
                .init(status: 200, description: "Deactivated", schema: "Message"),
                .init(status: 400, description: "Wrong current password", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/api-keys/generate",
            tag: "API keys",
            summary: "Create an API key (shown once; the password typed again)",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            body: .json("APIKeyCreate"),
            answers: [
                .init(status: 201, description: "The key, shown this once", schema: "APIKeyCreated"),
                .init(status: 400, description: "Wrong current password", schema: "Error"),
                .init(status: 409, description: "At the limit of live keys", schema: "Error"),
            ]
        ),
        .init(
            method: .delete,
            path: "/api/v1/api-keys/revoke",
            tag: "API keys",
            summary: "Revoke the key presented, or every key of the bearer's user",
            caller: .bearerOrAPIKey,
            answers: [
                .init(status: 200, description: "Revoked", schema: "Message"), .init(status: 404, description: "No key to revoke", schema: "Error"),
            ]
        ),
    ]

    static let sessionPage: [(name: String, description: String, required: Bool)] = [
        ("limit", "at most this many, 1 to 100 (default 100)", false), ("cursor", "the previous page's next_cursor", false),
    ]

    static let sessions: [APIEndpoint] = [
        .init(
            method: .get,
            path: "/api/v1/sessions",
            tag: "sessions",
            summary: "The caller's device sessions, newest first, a page at a time",
            caller: .bearerOrAPIKey,
            scopes: [Scope.profileRead],
            query: Self.sessionPage,
            answers: [.init(status: 200, description: "The sessions", schema: "SessionList")]
        ),
        .init(
            method: .delete,
            path: "/api/v1/sessions/{session_id}",
            tag: "sessions",
            summary: "End one session: its refresh token at once, its access tokens on their next use",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            answers: [
                .init(status: 200, description: "Ended", schema: "Message"),
                .init(status: 404, description: "No such live session of the caller", schema: "Error"),
            ]
        ),
        .init(
            method: .post,
            path: "/api/v1/sessions/revoke-all",
            tag: "sessions",
            summary: "End every session of the caller (but the current one with `keep_current`)",
            caller: .bearer,
            scopes: [Scope.profileWrite],
            query: [("keep_current", "true keeps the caller's own session", false)],
            body: .formOrJSON("RevokeAllSessions", required: false),
            answers: [.init(status: 200, description: "Ended", schema: "SessionsEnded")]
        ),
    ]

    static let admin: [APIEndpoint] = [
        .init(
            method: .get,
            path: "/api/v1/admin/users",
            tag: "admin",
            summary: "The users, by id",
            caller: .bearer,
            scopes: [Scope.usersRead],
            query: [("skip", "users to skip (default 0)", false), ("limit", "at most this many, 1 to 1000 (default 100)", false)],
            answers: [.init(status: 200, description: "The users", schema: "UserList")]
        ),
        .init(
            method: .put,
            path: "/api/v1/admin/users/{id}/role",
            tag: "admin",
            summary: "Change a user's role; the user's tokens end",
            caller: .bearer,
            scopes: [Scope.usersWrite],
            query: [("new_role", "user, moderator, admin or super_admin", true)],
            answers: [
                .init(status: 200, description: "The user", schema: "User"), .init(status: 400, description: "One's own role", schema: "Error"),
                .init(status: 404, description: "No such user", schema: "Error"),
            ]
        ),
        .init(
            method: .put,
            path: "/api/v1/admin/users/{id}/tier",
            tag: "admin",
            summary: "Set or remove a user's subscription tier",
            caller: .bearer,
            scopes: [Scope.usersWrite],
            query: [("tier", "the tier's name; empty removes it", true)],
            answers: [.init(status: 200, description: "The user", schema: "User"), .init(status: 404, description: "No such user", schema: "Error")]
        ),
        .init(
            method: .delete,
            path: "/api/v1/admin/users/{id}/mfa",
            tag: "admin",
            summary: "Turn a user's second factor off (a lost device); the user's sessions, tokens and API keys end",
            caller: .bearer,
            scopes: [Scope.usersWrite],
            answers: [
                .init(status: 200, description: "The user, without a factor", schema: "User"),
                .init(status: 400, description: "MFA_NOT_ENABLED", schema: "Error"),
                .init(status: 403, description: "Not allowed (a super_admin's factor: a super_admin only)", schema: "Error"),
                .init(status: 404, description: "No such user", schema: "Error"),
            ]
        ),
        .init(
            method: .get,
            path: "/api/v1/admin/dashboard",
            tag: "admin",
            summary: "User counts",
            caller: .bearer,
            scopes: [Scope.usersRead],
            answers: [.init(status: 200, description: "The counts", schema: "Dashboard")]
        ),
        .init(
            method: .get,
            path: "/api/v1/admin/users/{id}/sessions",
            tag: "admin",
            summary: "A user's sessions, a page at a time (a super_admin's only for a super_admin)",
            caller: .bearer,
            scopes: [Scope.usersRead],
            query: Self.sessionPage,
            answers: [
                .init(status: 200, description: "The sessions", schema: "SessionList"),
                .init(status: 404, description: "No such user", schema: "Error"),
            ]
        ),
        .init(
            method: .delete,
            path: "/api/v1/admin/users/{id}/sessions",
            tag: "admin",
            summary: "End every session of a user (a super_admin's only for a super_admin)",
            caller: .bearer,
            scopes: [Scope.usersWrite],
            answers: [
                .init(status: 200, description: "Ended", schema: "SessionsEnded"), .init(status: 404, description: "No such user", schema: "Error"),
            ]
        ),
        .init(
            method: .delete,
            path: "/api/v1/admin/users/{id}/sessions/{session_id}",
            tag: "admin",
            summary: "End one session of a user (a super_admin's only for a super_admin)",
            caller: .bearer,
            scopes: [Scope.usersWrite],
            answers: [
                .init(status: 200, description: "Ended", schema: "Message"),
                .init(status: 404, description: "No such user or live session", schema: "Error"),
            ]
        ),
    ]

    static let discovery: [APIEndpoint] = [
        .init(
            method: .get,
            path: "/.well-known/jwks.json",
            tag: "keys",
            summary: "The public keys that verify access tokens (RFC 7517)",
            answers: [.init(status: 200, description: "The JWK Set (empty with HS256)", schema: "JWKS")],
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/.well-known/openid-configuration",
            tag: "keys",
            summary: "Discovery: issuer, endpoints, keys, algorithms",
            answers: [.init(status: 200, description: "The discovery document", schema: "Discovery")],
            rateLimited: false
        ),
    ]

    static let viewers: [APIEndpoint] = [
        .init(
            method: .get,
            path: "/openapi.json",
            tag: "documentation",
            summary: "This document",
            answers: [.init(status: 200, description: "OpenAPI 3.1", schema: "OpenAPIDocument")],
            usesBackends: false,
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/account/reset-password",
            tag: "Account email",
            summary: "The page a reset link opens: a new-password form that posts to /api/v1/auth/reset-password",
            query: [(name: "token", description: "The link's token (read by the page's script, never by the server)", required: false)],
            answers: [.init(status: 200, description: "An HTML page", contentType: .html)],
            usesBackends: false,
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/account/verify",
            tag: "Account email",
            summary: "The page a verification link opens: one button that posts to /api/v1/auth/verify",
            query: [(name: "token", description: "The link's token (read by the page's script, never by the server)", required: false)],
            answers: [.init(status: 200, description: "An HTML page", contentType: .html)],
            usesBackends: false,
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/docs",
            tag: "documentation",
            summary: "Swagger UI on this document",
            answers: [.init(status: 200, description: "An HTML page", contentType: .html)],
            usesBackends: false,
            rateLimited: false
        ),
        .init(
            method: .get,
            path: "/redoc",
            tag: "documentation",
            summary: "ReDoc on this document",
            answers: [.init(status: 200, description: "An HTML page", contentType: .html)],
            usesBackends: false,
            rateLimited: false
        ),
    ]

    static func authRouter(_ prefix: String) -> [APIEndpoint] {
        let tag = "auth router (seed 003)"
        return [
            .init(
                method: .post,
                path: prefix + "/register",
                tag: tag,
                summary: "Register (the FastAPI auth library's shapes)",
                body: .json("AuthKitRegister"),
                answers: [
                    .init(status: 200, description: "The new user", schema: "AuthKitUser"),
                    .init(status: 400, description: "User with this email or username already exists", schema: "Error"),
                ]
            ),
            .init(
                method: .post,
                path: prefix + "/login",
                tag: tag,
                summary: "Log in: a token pair, and the cookies",
                body: .json("AuthKitLogin"),
                answers: [
                    .init(status: 200, description: "Logged in", schema: "AuthKitTokens"),
                    .init(status: 401, description: "Invalid credentials", schema: "Error"),
                    .init(
                        status: 403,
                        description: "mfa_required: the account has a second factor; go on at /api/v1/auth/mfa/verify",
                        schema: "MFARequired"
                    ),
                ]
            ),
            .init(
                method: .post,
                path: prefix + "/refresh",
                tag: tag,
                summary: "Rotate the refresh token from `Authorization: Bearer`, the cookie or the body",
                caller: .refreshToken,
                body: .json("RefreshRequest", required: false),
                answers: [.init(status: 200, description: "A new pair", schema: "AuthKitTokens")]
            ),
            .init(
                method: .post,
                path: prefix + "/logout",
                tag: tag,
                summary: "End the session; the cookies are cleared",
                caller: .refreshToken,
                answers: [.init(status: 200, description: "Logged out", schema: "AuthKitLogout")]
            ),
            .init(
                method: .get,
                path: prefix + "/me",
                tag: tag,
                summary: "The current user (bearer or access cookie)",
                caller: .bearer,
                answers: [.init(status: 200, description: "The user", schema: "AuthKitMe")]
            ),
        ]
    }
}
