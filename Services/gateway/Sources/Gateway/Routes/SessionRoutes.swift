import AccessControl
import Foundation
import HTTPTypes
import Hummingbird
import WireProtocol

/// Device sessions: each refresh family is a session its user can list and end, one at a time
/// or all but the current one. Administrators do the same for any user (``AdminRoutes``).
struct SessionRoutes {
    let token: TokenClient
    let authenticator: Authenticator
    let limits: RateLimits
    let audit: AuditReporter

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/api/v1/sessions") { request, context in try await self.list(request, context) }
        routes.on(.delete, "/api/v1/sessions/{session_id}") { request, context in try await self.end(request, context) }
        routes.on(.post, "/api/v1/sessions/revoke-all") { request, context in try await self.endAll(request, context) }
    }

    /// The caller's live sessions, newest first; `current` marks the one of the caller's token.
    func list(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, acceptingAPIKey: true, requiring: [.scope(Scope.profileRead)])
        return try await Self.listing(userID: caller.userID, current: caller.sessionID, request, context, token: self.token)
    }

    /// Ends one of the caller's sessions: its refresh token at once, its access tokens on their
    /// next use. Another user's session, or one already ended, is 404.
    func end(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        return try await Self.endOne(userID: caller.userID, request, context, token: self.token, limits: self.limits, audit: self.audit)
    }

    /// Ends the `{session_id}` of the path if it is a live session of `userID` (404 otherwise),
    /// and reports it to the audit trail: for the user and for an administrator alike.
    static func endOne(
        userID: Int64,
        _ request: Request,
        _ context: GatewayRequestContext,
        token: TokenClient,
        limits: RateLimits,
        audit: AuditReporter
    ) async throws -> Response {
        let sessionID = try Self.sessionID(context)
        let ended = try await BackendCall.run("token") {
            try await token.endSession(userID: userID, sessionID: sessionID, requestID: context.requestID)
        }
        guard ended else { throw APIError(.notFound, "Session not found") }
        audit.report("session_ended", userID: userID, client: limits.client(request, context), requestID: context.requestID)
        return JSONBody.response(.ok, #"{"detail":"Session ended"}"#)
    }

    /// Ends every session of `userID` but `keeping`, reported to the audit trail when any ended;
    /// how many ended.
    static func endAll(
        userID: Int64,
        keeping: String?,
        _ request: Request,
        _ context: GatewayRequestContext,
        token: TokenClient,
        limits: RateLimits,
        audit: AuditReporter
    ) async throws -> Int {
        let ended = try await BackendCall.run("token") {
            try await token.endSessions(userID: userID, keeping: keeping, requestID: context.requestID)
        }
        if ended > 0 {
            audit.report("session_ended", userID: userID, client: limits.client(request, context), requestID: context.requestID)
        }
        return ended
    }

    /// Log out everywhere: every session of the caller ends, the current one too unless
    /// `keep_current` (JSON, form or query) is true. API keys stay (`/api/v1/auth/logout-all`
    /// ends those as well).
    func endAll(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.scope(Scope.profileWrite)])
        var keepCurrent = try await RequestBody.optional(RevokeAllBody.self, request, context: context)?.keepCurrent?.value ?? false
        if let query = request.uri.queryParameters["keep_current"] {
            guard let flag = Flag.parse(query) else { throw APIError(.unprocessableContent, "keep_current: must be true or false") }
            keepCurrent = keepCurrent || flag
        }
        let keeping = keepCurrent ? caller.sessionID : nil
        let ended = try await Self.endAll(
            userID: caller.userID,
            keeping: keeping,
            request,
            context,
            token: self.token,
            limits: self.limits,
            audit: self.audit
        )
        return JSONBody.response(.ok, #"{"detail":"Sessions ended","sessions_ended":\#(ended),"current_kept":\#(keeping != nil)}"#)
    }

    /// `{"sessions": [...], "next_cursor": …}` of the user, newest first: `?limit=` (1 to 100,
    /// 100 when absent) sessions after `?cursor=` (the previous page's `next_cursor`);
    /// `next_cursor` is `null` on the last page.
    static func listing(
        userID: Int64,
        current: String?,
        _ request: Request,
        _ context: GatewayRequestContext,
        token: TokenClient
    ) async throws -> Response {
        let limit = try AdminRoutes.integer(request.uri.queryParameters["limit"], name: "limit", default: 100, in: 1...100)
        let cursor = request.uri.queryParameters["cursor"].map(String.init) ?? ""
        guard cursor.utf8.count <= 128 else { throw APIError(.unprocessableContent, "cursor: not one this service gave") }
        let reply: WireListSessionsReply
        do {
            reply = try await token.sessions(userID: userID, limit: limit, cursor: cursor, requestID: context.requestID)
        } catch WireError.remote(.invalidArgument, _, _) {
            throw APIError(.unprocessableContent, "cursor: not one this service gave")
        } catch {
            throw APIError.from(backendError: error, service: "token")
        }
        let list = SessionList(
            sessions: reply.sessions.map { SessionList.Entry($0, current: $0.id == current) },
            nextCursor: reply.nextCursor.isEmpty ? nil : reply.nextCursor
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(list)
        return JSONBody.response(.ok, ByteBuffer(bytes: body))
    }

    /// The `{session_id}` of the path, in the form the token service issues.
    static func sessionID(_ context: GatewayRequestContext) throws -> String {
        guard let text = context.parameters.get("session_id"), text.utf8.count == 22,
            text.utf8.allSatisfy({ $0.isBase64URLCharacter })
        else { throw APIError(.notFound, "Session not found") }
        return text
    }

    struct RevokeAllBody: Decodable {
        var keepCurrent: Flag?

        enum CodingKeys: String, CodingKey {
            case keepCurrent = "keep_current"
        }
    }

    /// The answer of a session list.
    struct SessionList: Encodable {
        struct Entry: Encodable {
            var id: String
            var createdAt: String
            var lastUsedAt: String
            var expiresAt: String
            var userAgent: String
            var ipAddress: String
            var current: Bool

            enum CodingKeys: String, CodingKey {
                case id
                case createdAt = "created_at"
                case lastUsedAt = "last_used_at"
                case expiresAt = "expires_at"
                case userAgent = "user_agent"
                case ipAddress = "ip_address"
                case current
            }

            init(_ session: WireSessionInfo, current: Bool) {
                self.id = session.id
                self.createdAt = Self.timestamp(milliseconds: session.createdMs)
                self.lastUsedAt = Self.timestamp(milliseconds: session.lastUsedMs)
                self.expiresAt = Self.timestamp(seconds: Date().timeIntervalSince1970 + Double(session.expiresIn))
                self.userAgent = session.userAgent
                self.ipAddress = session.ip
                self.current = current
            }

            static func timestamp(milliseconds: Int64) -> String { self.timestamp(seconds: Double(milliseconds) / 1000) }

            static func timestamp(seconds: Double) -> String {
                Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date(timeIntervalSince1970: seconds))
            }
        }

        var sessions: [Entry]
        var nextCursor: String?

        enum CodingKeys: String, CodingKey {
            case sessions
            case nextCursor = "next_cursor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.sessions, forKey: .sessions)
            // Written as null on the last page, so a client sees the field either way.
            try container.encode(self.nextCursor, forKey: .nextCursor)
        }
    }
}

extension UInt8 {
    /// A letter, a digit, `-` or `_`.
    fileprivate var isBase64URLCharacter: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self) || self == 0x2D || self == 0x5F
    }
}
