import AccessControl
import HTTPTypes
import Hummingbird
import NIOCore
import WireProtocol

/// Seed 001's admin routes: list users, change a role, the dashboard; seed 002's tiers; a
/// user's device sessions.
struct AdminRoutes {
    let identity: IdentityClient
    let sessions: Sessions
    let authenticator: Authenticator
    let limits: RateLimits

    static let administrators: [Role] = [.admin, .superAdmin]

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/api/v1/admin/users") { request, context in try await self.users(request, context) }
        routes.on(.put, "/api/v1/admin/users/{id}/role") { request, context in try await self.changeRole(request, context) }
        routes.on(.put, "/api/v1/admin/users/{id}/tier") { request, context in try await self.changeTier(request, context) }
        routes.on(.get, "/api/v1/admin/dashboard") { request, context in try await self.dashboard(request, context) }
        routes.on(.delete, "/api/v1/admin/users/{id}/mfa") { request, context in try await self.resetMFA(request, context) }
        routes.on(.get, "/api/v1/admin/users/{id}/sessions") { request, context in try await self.userSessions(request, context) }
        routes.on(.delete, "/api/v1/admin/users/{id}/sessions") { request, context in try await self.endUserSessions(request, context) }
        routes.on(.delete, "/api/v1/admin/users/{id}/sessions/{session_id}") { request, context in
            try await self.endUserSession(request, context)
        }
    }

    /// The user's live sessions (`{"sessions": [...]}`, newest first).
    func userSessions(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.roles(Self.administrators), .scope(Scope.usersRead)])
        let userID = try await self.targetUserID(caller: caller, context)
        return try await SessionRoutes.listing(userID: userID, current: nil, request, context, token: self.sessions.token)
    }

    /// Ends one session of the user; not a live session of theirs → 404.
    func endUserSession(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.permission(.updateAnyUser), .scope(Scope.usersWrite)])
        let userID = try await self.targetUserID(caller: caller, context)
        return try await SessionRoutes.endOne(
            userID: userID,
            request,
            context,
            token: self.sessions.token,
            limits: self.limits,
            audit: self.sessions.audit
        )
    }

    /// Ends every session of the user (their API keys stay).
    func endUserSessions(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.permission(.updateAnyUser), .scope(Scope.usersWrite)])
        let userID = try await self.targetUserID(caller: caller, context)
        let ended = try await SessionRoutes.endAll(
            userID: userID,
            keeping: nil,
            request,
            context,
            token: self.sessions.token,
            limits: self.limits,
            audit: self.sessions.audit
        )
        return JSONBody.response(.ok, #"{"detail":"Sessions ended","sessions_ended":\#(ended)}"#)
    }

    /// `?skip=0&limit=100` → the users, by id.
    func users(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        _ = try await self.authenticator.principal(request, context, requiring: [.roles(Self.administrators), .scope(Scope.usersRead)])
        let skip = try Self.integer(request.uri.queryParameters["skip"], name: "skip", default: 0, in: 0...Int(Int32.max))
        let limit = try Self.integer(request.uri.queryParameters["limit"], name: "limit", default: 100, in: 1...1000)
        let list = try await BackendCall.run("identity") {
            try await self.identity.listUsers(skip: Int64(skip), limit: Int32(limit), requestID: context.requestID)
        }
        var body = ByteBuffer()
        body.writeString("[")
        for (index, user) in list.users.enumerated() {
            if index > 0 { body.writeString(",") }
            UserJSON.write(user, to: &body)
        }
        body.writeString("]")
        return JSONBody.response(.ok, body)
    }

    /// `?new_role=` one of the roles. Needs the manage-roles permission; the rules about whose
    /// role may change are identity's. The user's tokens die with the change.
    func changeRole(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.permission(.manageRoles), .scope(Scope.usersWrite)])
        let userID = try Self.userID(context)
        guard let newRole = request.uri.queryParameters["new_role"].map(String.init), !newRole.isEmpty else {
            throw APIError(.unprocessableContent, "new_role: field required")
        }
        guard Role(rawValue: newRole) != nil else {
            throw APIError(.unprocessableContent, "new_role: must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var change = WireChangeRoleRequest()
        change.actorID = caller.userID
        change.userID = userID
        change.newRole = newRole
        change.client = self.limits.client(request, context)
        let user = try await BackendCall.run("identity") { try await self.identity.changeRole(change, requestID: context.requestID) }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, UserJSON.body(user))
    }

    /// `?tier=` a tier name (seed 002's "Pro"), or empty to remove the user's tier. Needs the
    /// update-any-user permission (a super_admin's tier: a super_admin). Sessions keep going and carry the new tier from their next
    /// refresh on; it chooses the user's rate limit where `RATE_LIMIT_TIERS` names it.
    func changeTier(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.permission(.updateAnyUser), .scope(Scope.usersWrite)])
        guard let tier = request.uri.queryParameters["tier"].map(String.init) else {
            throw APIError(.unprocessableContent, "tier: field required")
        }
        let userID = try await self.targetUserID(caller: caller, context)
        var change = WireSetTierRequest()
        change.actorID = caller.userID
        change.userID = userID
        change.tier = tier
        change.client = self.limits.client(request, context)
        let user = try await BackendCall.run("identity") { try await self.identity.setTier(change, requestID: context.requestID) }
        await self.sessions.setTier(userID: userID, tier: user.hasTier ? user.tier : "", context: context)
        return JSONBody.response(.ok, UserJSON.body(user))
    }

    /// Turns the user's second factor off (a lost device; update-any-user permission, a
    /// super_admin's only by a super_admin): audited, the user is told by mail, and every
    /// session, token and API key of the user ends.
    func resetMFA(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let caller = try await self.authenticator.principal(request, context, requiring: [.permission(.updateAnyUser), .scope(Scope.usersWrite)])
        var reset = WireResetMfaRequest()
        reset.actorID = caller.userID
        reset.userID = try await self.targetUserID(caller: caller, context)
        reset.client = self.limits.client(request, context)
        let user = try await BackendCall.run("identity") { try await self.identity.resetMFA(reset, requestID: context.requestID) }
        await self.sessions.endAll(user: user, context: context)
        return JSONBody.response(.ok, UserJSON.body(user))
    }

    /// The id of the user of the path, after the role change's rule: a super_admin's sessions and
    /// tier are seen and changed only by a super_admin (403 for anyone else); no such user → 404
    /// (an inactive one is still there).
    func targetUserID(caller: Principal, _ context: GatewayRequestContext) async throws -> Int64 {
        let userID = try Self.userID(context)
        let target = try await BackendCall.run("identity") {
            try await self.identity.user(id: userID, includeInactive: true, requestID: context.requestID)
        }
        if target.role == Role.superAdmin.rawValue, caller.role != .superAdmin {
            throw APIError(.forbidden, "Cannot modify a SUPER_ADMIN user")
        }
        return userID
    }

    static func userID(_ context: GatewayRequestContext) throws -> Int64 {
        guard let idText = context.parameters.get("id"), let userID = Int64(idText), userID > 0 else {
            throw APIError(.unprocessableContent, "user_id: must be a positive whole number")
        }
        return userID
    }

    /// `{total_users, active_users, inactive_users, users_by_role: {user, moderator, admin, super_admin}}`.
    func dashboard(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        _ = try await self.authenticator.principal(request, context, requiring: [.roles(Self.administrators), .scope(Scope.usersRead)])
        let reply = try await BackendCall.run("identity") { try await self.identity.dashboard(requestID: context.requestID) }
        var body = ByteBuffer()
        body.writeString(#"{"total_users":\#(reply.totalUsers),"active_users":\#(reply.activeUsers),"#)
        body.writeString(#""inactive_users":\#(reply.inactiveUsers),"users_by_role":{"#)
        for (index, role) in Role.allCases.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(#""\#(role.rawValue)":\#(reply.usersByRole[role.rawValue] ?? 0)"#)
        }
        body.writeString("}}")
        return JSONBody.response(.ok, body)
    }

    static func integer(_ text: Substring?, name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw APIError(.unprocessableContent, "\(name): must be a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }
}
