/// The OAuth2 scopes of seed 001, and the rule that grants them at login.
public enum Scope {
    public static let profileRead = "profile:read"
    public static let profileWrite = "profile:write"
    public static let postsRead = "posts:read"
    public static let postsWrite = "posts:write"
    public static let postsDelete = "posts:delete"
    public static let usersRead = "users:read"
    public static let usersWrite = "users:write"
    public static let admin = "admin"

    /// Every scope, in the order tokens list them.
    public static let all = [profileRead, profileWrite, postsRead, postsWrite, postsDelete, usersRead, usersWrite, admin]

    /// The scopes a login grants: the requested ones the role allows, or everything the role
    /// allows when none are requested. Unknown and disallowed names are dropped, as in seed 001.
    public static func granted(requested: [String], role: Role) -> [String] {
        let allowed = role.allowedScopes
        guard !requested.isEmpty else { return allowed }
        let asked = Set(requested)
        return allowed.filter(asked.contains)
    }

    /// What a credential may do now: its scopes, cut to what the user's role allows today (a
    /// token or key outliving a role change never keeps the old role's reach).
    public static func effective(_ carried: some Sequence<String>, role: Role) -> Set<String> {
        Set(carried).intersection(role.allowedScopes)
    }

    /// Splits an OAuth2 `scope` parameter (space-separated, RFC 6749 §3.3).
    public static func parse(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }
}
