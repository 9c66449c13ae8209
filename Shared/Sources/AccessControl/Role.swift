/// A user's role (seed 001), lowest to highest: a higher role passes every check a lower one does.
public enum Role: String, CaseIterable, Sendable, Hashable, Comparable {
    case user
    case moderator
    case admin
    case superAdmin = "super_admin"

    /// Place in the hierarchy (seed 001's `ROLE_HIERARCHY`).
    public var level: Int {
        switch self {
        case .user: 1
        case .moderator: 2
        case .admin: 3
        case .superAdmin: 4
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.level < rhs.level }

    /// What the role may do (seed 001's `ROLE_PERMISSIONS`).
    public var permissions: Set<Permission> {
        let user: Set<Permission> = [
            .readOwnProfile, .updateOwnProfile, .deleteOwnAccount, .createPost, .readPost, .updateOwnPost, .deleteOwnPost,
        ]
        let moderator = user.union([.updateAnyPost, .deleteAnyPost, .readAllUsers])
        let admin = moderator.union([.updateAnyUser, .deleteAnyUser, .manageRoles, .viewAuditLog])
        switch self {
        case .user: return user
        case .moderator: return moderator
        case .admin: return admin
        case .superAdmin: return Set(Permission.allCases)
        }
    }

    /// The OAuth2 scopes a token of this role may carry (seed 001's `get_allowed_scopes_for_role`),
    /// in ``Scope/all`` order.
    public var allowedScopes: [String] {
        let base = [Scope.profileRead, Scope.profileWrite, Scope.postsRead]
        let allowed: Set<String>
        switch self {
        case .user: allowed = Set(base + [Scope.postsWrite])
        case .moderator: allowed = Set(base + [Scope.postsWrite, Scope.postsDelete, Scope.usersRead])
        case .admin: allowed = Set(base + [Scope.postsWrite, Scope.postsDelete, Scope.usersRead, Scope.usersWrite, Scope.admin])
        case .superAdmin: allowed = Set(Scope.all)
        }
        return Scope.all.filter(allowed.contains)
    }
}
