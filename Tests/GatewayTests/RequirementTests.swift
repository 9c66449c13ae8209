import AccessControl
import HTTPTypes
import Testing
import WireProtocol
@testable import Gateway

@Suite("Route requirements")
struct RequirementTests {
    static func caller(_ role: Role, scopes: [String]) -> Principal {
        var user = WireUser()
        user.id = 7
        user.role = role.rawValue
        return Principal(user: user, role: role, scopes: Set(scopes), credential: .apiKey("ak_test", id: 1), rateLimit: nil)
    }

    static func refusal(_ requirement: Requirement, _ principal: Principal) -> APIError? {
        do {
            try requirement.check(principal)
            return nil
        } catch {
            return error
        }
    }

    @Test func aHigherRolePassesAMinimumRoleCheck() {
        #expect(Self.refusal(.minimumRole(.moderator), Self.caller(.admin, scopes: [])) == nil)
        #expect(Self.refusal(.minimumRole(.moderator), Self.caller(.moderator, scopes: [])) == nil)
        let refused = Self.refusal(.minimumRole(.moderator), Self.caller(.user, scopes: []))
        #expect(refused?.status == .forbidden)
        #expect(refused?.detail == "Minimum role required: moderator")
    }

    @Test func exactRolesPermissionsAndScopesSaySeed001sWords() {
        let roles = Self.refusal(.roles([.admin, .superAdmin]), Self.caller(.moderator, scopes: []))
        #expect(roles?.detail == "Insufficient permissions. Required role: admin, super_admin")
        #expect(Self.refusal(.roles([.admin, .superAdmin]), Self.caller(.superAdmin, scopes: [])) == nil)

        let permission = Self.refusal(.permission(.manageRoles), Self.caller(.moderator, scopes: []))
        #expect(permission?.detail == "Missing permissions: manage:roles")
        #expect(Self.refusal(.permission(.manageRoles), Self.caller(.admin, scopes: [])) == nil)

        let scope = Self.refusal(.scope(Scope.usersRead), Self.caller(.admin, scopes: [Scope.profileRead]))
        #expect(scope?.status == .forbidden)
        #expect(scope?.headers[.wwwAuthenticate] == #"Bearer error="insufficient_scope", scope="users:read""#)
        #expect(
            Self.refusal(.scope(Scope.usersRead), Self.caller(.user, scopes: [Scope.usersRead])) == nil,
            "a scope is the token's, whatever the role"
        )
    }
}
