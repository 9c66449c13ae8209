import AccessControl
import HTTPTypes

/// What a route asks of its caller, stated in one line where the route authenticates:
///
/// ```swift
/// let caller = try await self.authenticator.principal(request, context, requiring: [.roles([.admin, .superAdmin]), .scope(Scope.usersRead)])
/// ```
///
/// A caller who fails one gets 403 in seed 001's words; a missing scope also carries
/// `WWW-Authenticate: Bearer error="insufficient_scope"` (RFC 6750).
enum Requirement: Sendable {
    /// One of these roles exactly (seed 001's `require_role`).
    case roles([Role])
    /// This role or a higher one (seed 001's `require_minimum_role`).
    case minimumRole(Role)
    /// The role grants this permission (seed 001's `require_permission`).
    case permission(Permission)
    /// The token (or API key) carries this scope.
    case scope(String)

    func check(_ principal: Principal) throws(APIError) {
        switch self {
        case .roles(let roles):
            guard roles.contains(principal.role) else {
                throw APIError(.forbidden, "Insufficient permissions. Required role: \(roles.map(\.rawValue).joined(separator: ", "))")
            }
        case .minimumRole(let minimum):
            guard principal.role >= minimum else { throw APIError(.forbidden, "Minimum role required: \(minimum.rawValue)") }
        case .permission(let permission):
            guard principal.role.permissions.contains(permission) else {
                throw APIError(.forbidden, "Missing permissions: \(permission.rawValue)")
            }
        case .scope(let scope):
            guard principal.scopes.contains(scope) else {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer error=\"insufficient_scope\", scope=\"\(scope)\""
                throw APIError(.forbidden, "Token missing required scope: \(scope)", headers: headers)
            }
        }
    }
}
