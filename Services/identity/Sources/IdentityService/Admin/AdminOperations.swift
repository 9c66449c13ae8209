import AccessControl
import WireProtocol
import WireTransport

/// What administrators do: list users, change a role or a tier, see the dashboard. The gateway checks
/// that the caller holds the role or permission; the rules about whose role may change are here.
extension IdentityOperations {
    /// The most users one list answers.
    static let maximumPageSize = 1000

    func registerAdminOperations(in dispatcher: inout OperationDispatcher) {
        dispatcher.on(.listUsers) { (request: WireListUsersRequest, _) in try await self.listUsers(request) }
        dispatcher.on(.changeRole) { (request: WireChangeRoleRequest, context) in try await self.changeRole(request, context) }
        dispatcher.on(.setTier) { (request: WireSetTierRequest, context) in try await self.setTier(request, context) }
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

    /// Sets the user's subscription tier (seed 002), or removes it when `tier` is empty. Unlike
    /// a role change, the user's tokens stay valid: a tier grants no permission here, only
    /// rate limits, and the sessions take the new tier at their next refresh.
    func setTier(_ request: WireSetTierRequest, _ context: WireRequest) async throws -> WireUser {
        let tier = request.tier.isEmpty ? nil : request.tier
        if let tier, !Self.isTierName(tier) {
            throw IdentityError.invalidField(
                field: "tier",
                reason: "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        }
        guard let target = try await self.users.find(id: request.userID) else { throw IdentityError.userNotFound }
        guard let changed = try await self.users.setTier(id: target.id, tier: tier) else { throw IdentityError.userNotFound }
        self.record(
            .tierChanged,
            user: changed,
            request.client,
            context,
            detail: ["old_tier": target.tier ?? "", "new_tier": tier ?? "", "by_user_id": String(request.actorID)]
        )
        return changed.wire
    }

    /// The migration's `CHECK`, here so a bad name is a 422 rather than a database error.
    static func isTierName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func allowed(_ byte: UInt8, first: Bool) -> Bool {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): !first
            default: false
            }
        }
        guard (1...32).contains(bytes.count) else { return false }
        return bytes.enumerated().allSatisfy { allowed($0.element, first: $0.offset == 0) }
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
