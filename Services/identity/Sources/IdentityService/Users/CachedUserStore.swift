/// A ``UserStore`` that answers ``find(id:)`` from a ``UserCache`` and drops a user's entry
/// after each of its own writes to that user (other writers are seen through notifications).
public struct CachedUserStore: UserStore {
    public let base: any UserStore
    public let cache: UserCache

    public init(base: any UserStore, cache: UserCache) {
        self.base = base
        self.cache = cache
    }

    public func find(id: Int64) async throws -> UserRecord? {
        if let record = self.cache.user(id) { return record }
        let ticket = self.cache.ticket()
        let record = try await self.base.find(id: id)
        if let record, let ticket { self.cache.store(record, ticket: ticket) }
        return record
    }

    public func create(_ user: NewUser) async throws -> UserRecord {
        try await self.base.create(user)
    }

    public func find(login: String) async throws -> UserRecord? {
        try await self.base.find(login: login)
    }

    public func find(email: String) async throws -> UserRecord? {
        try await self.base.find(email: email)
    }

    // Each write drops the entry even when it throws: the statement may have committed before
    // the connection broke.

    public func recordFailedLogin(id: Int64, maximumAttempts: Int, now: Double, lockUntil: Double) async throws -> Bool {
        defer { self.cache.invalidate(id) }
        return try await self.base.recordFailedLogin(id: id, maximumAttempts: maximumAttempts, now: now, lockUntil: lockUntil)
    }

    public func admitLogin(id: Int64, now: Double, rehashed: String?, recordLogin: Bool) async throws -> Bool {
        defer { if recordLogin { self.cache.invalidate(id) } }
        return try await self.base.admitLogin(id: id, now: now, rehashed: rehashed, recordLogin: recordLogin)
    }

    public func changePassword(id: Int64, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.changePassword(id: id, hash: hash, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }

    public func resetPassword(id: Int64, email: String, hash: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.resetPassword(id: id, email: email, hash: hash, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }

    public func markVerified(id: Int64, email: String) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.markVerified(id: id, email: email)
    }

    public func updateProfile(id: Int64, fullName: String?, email: String?) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.updateProfile(id: id, fullName: fullName, email: email)
    }

    public func endAllSessions(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.endAllSessions(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }

    public func deactivate(id: Int64, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.deactivate(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }

    public func list(skip: Int64, limit: Int) async throws -> [UserRecord] {
        try await self.base.list(skip: skip, limit: limit)
    }

    public func changeRole(id: Int64, role: String, tokensValidAfterMilliseconds: Int64) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.changeRole(id: id, role: role, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }

    public func setTier(id: Int64, tier: String?) async throws -> UserRecord? {
        defer { self.cache.invalidate(id) }
        return try await self.base.setTier(id: id, tier: tier)
    }

    public func changedElsewhere(id: Int64) {
        self.cache.invalidate(id)
    }

    public func statistics() async throws -> UserStatistics {
        try await self.base.statistics()
    }

    public func pendingRevocations(limit: Int) async throws -> [(userID: Int64, tokensValidAfterMilliseconds: Int64)] {
        try await self.base.pendingRevocations(limit: limit)
    }

    // Changes no field a cached user shows.
    public func confirmRevocation(id: Int64, tokensValidAfterMilliseconds: Int64) async throws {
        try await self.base.confirmRevocation(id: id, tokensValidAfterMilliseconds: tokensValidAfterMilliseconds)
    }
}
