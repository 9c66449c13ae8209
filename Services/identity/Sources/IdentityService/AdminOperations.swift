import AccessControl
import WireProtocol
import WireTransport

/// What administrators do: list users, change a role, see the dashboard. The gateway checks
/// that the caller holds the role or permission; the rules about whose role may change are here.
extension IdentityOperations {
    /// The most users one list answers.
    static let maximumPageSize = 1000

    func registerAdminOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.listUsers) { (request: WireListUsersRequest, _) in try await self.listUsers(request) }
        dispatcher.on(.changeRole) { (request: WireChangeRoleRequest, context) in try await self.changeRole(request, context) }
        dispatcher.on(.dashboard) { (_: WireEmpty, _) in try await self.dashboard() }
    }

    func listUsers(_ request: WireListUsersRequest) async throws -> WireUserList {
        guard request.skip >= 0 else { throw IdentityError.invalidField(field: "skip", reason: "must not be negative") }
        guard (1...Self.maximumPageSize).contains(Int(request.limit)) else {
            throw IdentityError.invalidField(field: "limit", reason: "must be between 1 and \(Self.maximumPageSize)")
        }
        var list = WireUserList()
        list.users = try await self.users.list(skip: request.skip, limit: Int(request.limit)).map(\.wire)
        return list
    }

    /// Seed 001's rules, in its order: not one's own role (400); `super_admin` is never granted
    /// here (403); unknown user (404); a super admin's role never changes here (403). The
    /// user's tokens die with the change.
    func changeRole(_ request: WireChangeRoleRequest, _ context: WireRequest) async throws -> WireUser {
        guard let role = Role(rawValue: request.newRole) else {
            throw IdentityError.invalidField(field: "new_role", reason: "must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard request.userID != request.actorID else { throw IdentityError.ownRole }
        guard role != .superAdmin else { throw IdentityError.superAdminNotAssignable }
        guard let target = try await self.users.find(id: request.userID) else { throw IdentityError.userNotFound }
        guard target.role != Role.superAdmin.rawValue else { throw IdentityError.superAdminImmutable }
        guard let changed = try await self.users.changeRole(id: target.id, role: role.rawValue, tokensValidAfterMilliseconds: self.revocationMoment())
        else {
            // Became a super admin between the two statements.
            throw IdentityError.superAdminImmutable
        }
        self.record(
            .roleChanged,
            user: changed,
            request.client,
            context,
            detail: ["old_role": target.role, "new_role": role.rawValue, "by_user_id": String(request.actorID)]
        )
        return changed.wire
    }

    func dashboard() async throws -> WireDashboardReply {
        let statistics = try await self.users.statistics()
        var reply = WireDashboardReply()
        reply.totalUsers = statistics.total
        reply.activeUsers = statistics.active
        reply.inactiveUsers = statistics.total - statistics.active
        for role in Role.allCases { reply.usersByRole[role.rawValue] = statistics.byRole[role.rawValue] ?? 0 }
        return reply
    }
}
