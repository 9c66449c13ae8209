import ServiceRuntime
/// A row of `api_keys` as identity works with it.
public struct APIKeyRecord: Sendable, Hashable {
    public var id: Int64
    public var userID: Int64
    public var prefix: String
    public var name: String?
    public var scopes: [String]
    /// RFC 3339 UTC.
    public var createdAt: String
    public var expiresAt: String?
    /// The HMAC of the key.
    public var digest: [UInt8]
    /// Revoked or past its expiry.
    public var isDead: Bool
    /// Seconds since 1970 of the last use, if any.
    public var lastUsedAt: Double?
}

/// Where API keys live. Production: ``PostgresAPIKeyStore``.
public protocol APIKeyStore: Sendable {
    /// Stores a new key unless the user already has `maximumLive` live ones.
    /// - Throws: ``IdentityError/tooManyAPIKeys(limit:)``.
    func create(
        userID: Int64,
        prefix: String,
        digest: [UInt8],
        name: String?,
        scopes: [String],
        expiresInSeconds: Int64?,
        maximumLive: Int
    ) async throws -> APIKeyRecord

    /// The key with this prefix and its owner, dead or alive.
    func find(prefix: String) async throws -> (key: APIKeyRecord, owner: UserRecord)?

    /// Notes that the key was used now.
    func recordUse(id: Int64) async throws

    /// Revokes one key of the user; whether it was live.
    func revoke(id: Int64, userID: Int64) async throws -> Bool

    /// Revokes every live key of the user; how many.
    func revokeAll(userID: Int64) async throws -> Int
}

/// ``APIKeyStore`` on PostgreSQL.
public struct PostgresAPIKeyStore: APIKeyStore {
    let pool: PostgresPool

    public init(pool: PostgresPool) {
        self.pool = pool
    }

    static let columns = """
        id, user_id, prefix, name, array_to_string(scopes, ' '),
        to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        key_hash, revoked_at IS NOT NULL OR (expires_at IS NOT NULL AND expires_at <= now()),
        extract(epoch FROM last_used_at)::float8
        """

    static let live = "revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"

    // The count and the insert are one statement, so two concurrent requests cannot both pass
    // the limit by much; the limit is a guard against abuse, not an exact quota.
    static let insert = PreparedStatement(
        name: "api_keys_insert",
        sql: """
            INSERT INTO api_keys (user_id, prefix, key_hash, name, scopes, expires_at)
            SELECT $1, $2, decode($3, 'hex'), $4, string_to_array($5, ' '), now() + make_interval(secs => $6::float8)
            WHERE (SELECT count(*) FROM api_keys WHERE user_id = $1 AND \(live)) < $7
            RETURNING \(columns)
            """
    )
    static let byPrefix = PreparedStatement(name: "api_keys_by_prefix", sql: "SELECT \(columns) FROM api_keys WHERE prefix = $1")
    static let used = PreparedStatement(name: "api_keys_used", sql: "UPDATE api_keys SET last_used_at = now() WHERE id = $1")
    static let revokeOne = PreparedStatement(
        name: "api_keys_revoke_one",
        sql: "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND \(live) RETURNING id"
    )
    static let revokeAll = PreparedStatement(
        name: "api_keys_revoke_all",
        sql: "UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND \(live) RETURNING id"
    )

    public func create(
        userID: Int64,
        prefix: String,
        digest: [UInt8],
        name: String?,
        scopes: [String],
        expiresInSeconds: Int64?,
        maximumLive: Int
    ) async throws -> APIKeyRecord {
        let parameters: [String?] = [
            String(userID), prefix, Hex.encode(digest), name, scopes.joined(separator: " "),
            expiresInSeconds.map(String.init), String(maximumLive),
        ]
        let record = try await self.pool.run { try Self.records($0.query(Self.insert, parameters)).first }
        guard let record else { throw IdentityError.tooManyAPIKeys(limit: maximumLive) }
        return record
    }

    public func find(prefix: String) async throws -> (key: APIKeyRecord, owner: UserRecord)? {
        try await self.pool.run { connection in
            guard let key = try Self.records(connection.query(Self.byPrefix, [prefix])).first,
                let owner = try PostgresUserStore.records(connection.query(PostgresUserStore.byID, [String(key.userID)])).first
            else { return nil }
            return (key, owner)
        }
    }

    public func recordUse(id: Int64) async throws {
        try await self.pool.run { _ = try $0.query(Self.used, [String(id)]) }
    }

    public func revoke(id: Int64, userID: Int64) async throws -> Bool {
        try await self.pool.run { !(try $0.query(Self.revokeOne, [String(id), String(userID)]).rows.isEmpty) }
    }

    public func revokeAll(userID: Int64) async throws -> Int {
        try await self.pool.run { try $0.query(Self.revokeAll, [String(userID)]).rows.count }
    }

    static func records(_ rows: PostgresRows) -> [APIKeyRecord] {
        rows.rows.compactMap { row in
            guard row.count == 10, let id = row[0].flatMap({ Int64($0) }), let userID = row[1].flatMap({ Int64($0) }),
                let prefix = row[2], let createdAt = row[5], let digest = row[7].flatMap(APIKey.bytes(fromByteaHex:))
            else { return nil }
            return APIKeyRecord(
                id: id,
                userID: userID,
                prefix: prefix,
                name: row[3],
                scopes: (row[4] ?? "").split(separator: " ").map(String.init),
                createdAt: createdAt,
                expiresAt: row[6],
                digest: digest,
                isDead: row[8] == "t",
                lastUsedAt: row[9].flatMap { Double($0) }
            )
        }
    }
}
