import AccessControl
import Testing

@Suite("Roles, permissions and scopes (seed 001)")
struct AccessControlTests {
    @Test func higherRolesHoldEveryPermissionOfLowerOnes() {
        let roles = Role.allCases.sorted()
        #expect(roles == [.user, .moderator, .admin, .superAdmin])
        for (lower, higher) in zip(roles, roles.dropFirst()) {
            #expect(lower.permissions.isSubset(of: higher.permissions), "\(higher) inherits \(lower)")
        }
        #expect(Role.superAdmin.permissions == Set(Permission.allCases))
        #expect(Role.admin.permissions.contains(.manageRoles))
        #expect(!Role.moderator.permissions.contains(.manageRoles))
        #expect(Role.moderator.permissions.contains(.readAllUsers))
        #expect(!Role.admin.permissions.contains(.manageSystem))
    }

    @Test func scopeMapPerRole() {
        #expect(Role.user.allowedScopes == ["profile:read", "profile:write", "posts:read", "posts:write"])
        #expect(Role.moderator.allowedScopes == ["profile:read", "profile:write", "posts:read", "posts:write", "posts:delete", "users:read"])
        #expect(Role.admin.allowedScopes == Scope.all)
        #expect(Role.superAdmin.allowedScopes == Scope.all)
    }

    @Test func grantedScopesAreTheRequestedOnesTheRoleAllowsOrAllOfThem() {
        #expect(Scope.granted(requested: [], role: .user) == Role.user.allowedScopes)
        #expect(Scope.granted(requested: ["admin", "posts:read"], role: .user) == ["posts:read"])
        #expect(Scope.granted(requested: ["admin"], role: .user) == [])
        #expect(Scope.granted(requested: ["users:write", "nonsense"], role: .admin) == ["users:write"])
        #expect(Scope.parse(" profile:read  posts:read\tadmin ") == ["profile:read", "posts:read", "admin"])
    }
}

@Suite("Scopes a credential may use")
struct EffectiveScopeTests {
    @Test func carriedScopesAreCutToTheRoleOfToday() {
        // An admin's token or key, its user demoted since (say by hand in the database).
        let adminScopes = Role.admin.allowedScopes
        #expect(Scope.effective(adminScopes, role: .user) == Set(Role.user.allowedScopes))
        #expect(Scope.effective(["posts:read", "admin"], role: .user) == ["posts:read"])
        #expect(Scope.effective(["posts:read"], role: .admin) == ["posts:read"], "never more than carried")
        #expect(Scope.effective(["unknown"], role: .superAdmin).isEmpty)
    }
}
