/// A fine-grained permission, granted through roles (seed 001's names).
public enum Permission: String, CaseIterable, Sendable, Hashable {
    case readOwnProfile = "read:own_profile"
    case updateOwnProfile = "update:own_profile"
    case deleteOwnAccount = "delete:own_account"
    case createPost = "create:post"
    case readPost = "read:post"
    case updateOwnPost = "update:own_post"
    case deleteOwnPost = "delete:own_post"
    case readAllUsers = "read:all_users"
    case updateAnyUser = "update:any_user"
    case deleteAnyUser = "delete:any_user"
    case updateAnyPost = "update:any_post"
    case deleteAnyPost = "delete:any_post"
    case manageRoles = "manage:roles"
    case viewAuditLog = "view:audit_log"
    case manageSystem = "manage:system"
}
