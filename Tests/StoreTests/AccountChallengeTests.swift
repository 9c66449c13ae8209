import Foundation
import ServiceTesting
import Testing
import WireProtocol

@testable import IdentityService

/// Verification and reset challenges in the real PostgreSQL: issued with their mail in one
/// statement, stored only as keyed hashes, consumed once, a code dead after its attempts.
@Suite("Account challenges")
struct AccountChallengeTests {
    static let key = Array("a-challenge-key-of-at-least-32-characters".utf8)

    static func issue(
        _ store: PostgresChallengeStore,
        userID: Int64,
        _ challenge: AccountChallenge,
        codeLifetime: Int = 600,
        tokenLifetime: Int = 1800
    ) async throws {
        try await store.issue(
            userID: userID,
            email: "user\(userID)@example.com",
            purpose: challenge.purpose,
            codeDigest: AccountChallenge.codeDigest(challenge.code, userID: userID, purpose: challenge.purpose, key: Self.key),
            tokenDigest: AccountChallenge.tokenDigest(challenge.token, purpose: challenge.purpose, key: Self.key),
            codeLifetimeSeconds: codeLifetime,
            tokenLifetimeSeconds: tokenLifetime,
            mail: QueuedMail(
                purpose: challenge.purpose.rawValue,
                envelopeFrom: "no-reply@example.com",
                recipient: "user\(userID)@example.com",
                message: "…"
            )
        )
    }

    static func user(_ database: TestDatabase, _ name: String) async throws -> Int64 {
        let operations = try IdentityFixtures.operations(database)
        return try await operations.register(IdentityFixtures.registration(name), IdentityFixtures.context).id
    }

    static func count(_ database: TestDatabase, _ sql: String) async throws -> Int {
        try await database.pool.withConnection { try $0.query(PreparedStatement(name: "count_\(abs(sql.hashValue))", sql: sql)).rows }.first?.first
            .flatMap { $0.flatMap { Int($0) } } ?? -1
    }

    @Test func codesAndTokensHaveTheirShapeAndDigestsDependOnUserAndPurpose() {
        var codes = Set<String>()
        for _ in 0..<2000 {
            let challenge = AccountChallenge.make(.resetPassword)
            #expect(AccountChallenge.isCode(challenge.code) && AccountChallenge.isToken(challenge.token))
            codes.insert(challenge.code)
        }
        #expect(codes.count > 1990, "eight random digits rarely repeat in 2,000 draws")
        #expect(
            AccountChallenge.codeDigest("12345678", userID: 1, purpose: .resetPassword, key: Self.key)
                != AccountChallenge.codeDigest("12345678", userID: 2, purpose: .resetPassword, key: Self.key)
        )
        #expect(
            AccountChallenge.codeDigest("12345678", userID: 1, purpose: .resetPassword, key: Self.key)
                != AccountChallenge.codeDigest("12345678", userID: 1, purpose: .verifyEmail, key: Self.key)
        )
        #expect(!AccountChallenge.isCode("1234567") && !AccountChallenge.isCode("12345678a") && !AccountChallenge.isToken("short"))
    }

    @Test func aTokenIsConsumedOnceAndOnlyWhileItLives() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "challenged")
        let first = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, first)
        let replacement = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, replacement)
        #expect(try await Self.count(database, "SELECT count(*) FROM mail_outbox") == 2, "one message per challenge issued")
        #expect(try await Self.count(database, "SELECT count(*) FROM account_challenges") == 1, "a new one replaced the first")
        let firstDigest = AccountChallenge.tokenDigest(first.token, purpose: .resetPassword, key: Self.key)
        #expect(try await store.consume(tokenDigest: firstDigest, purpose: .resetPassword) == nil, "the replaced token is dead")

        let digest = AccountChallenge.tokenDigest(replacement.token, purpose: .resetPassword, key: Self.key)
        #expect(try await store.consume(tokenDigest: digest, purpose: .verifyEmail) == nil, "not for another purpose")
        let consumed = try await store.consume(tokenDigest: digest, purpose: .resetPassword)
        #expect(consumed?.userID == userID && consumed?.email == "user\(userID)@example.com")
        #expect(try await store.consume(tokenDigest: digest, purpose: .resetPassword) == nil, "once only")

        let late = AccountChallenge.make(.verifyEmail)
        try await Self.issue(store, userID: userID, late)
        try await database.execute("UPDATE account_challenges SET token_expires_at = now() - interval '1 second'")
        #expect(
            try await store.consume(
                tokenDigest: AccountChallenge.tokenDigest(late.token, purpose: .verifyEmail, key: Self.key),
                purpose: .verifyEmail
            ) == nil
        )
    }

    @Test func aCodeAllowsFiveAttemptsAndIsConsumedOnce() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "typist")
        let challenge = AccountChallenge.make(.verifyEmail)
        try await Self.issue(store, userID: userID, challenge)
        let right = AccountChallenge.codeDigest(challenge.code, userID: userID, purpose: .verifyEmail, key: Self.key)
        let wrong = AccountChallenge.codeDigest("00000000", userID: userID, purpose: .verifyEmail, key: Self.key)
        for _ in 0..<4 { #expect(try await store.consume(userID: userID, codeDigest: wrong, purpose: .verifyEmail, maximumAttempts: 5) == nil) }
        #expect(try await store.consume(userID: userID, codeDigest: right, purpose: .verifyEmail, maximumAttempts: 5) == "user\(userID)@example.com")
        #expect(try await store.consume(userID: userID, codeDigest: right, purpose: .verifyEmail, maximumAttempts: 5) == nil, "once only")

        let again = AccountChallenge.make(.verifyEmail)
        try await Self.issue(store, userID: userID, again)
        let againRight = AccountChallenge.codeDigest(again.code, userID: userID, purpose: .verifyEmail, key: Self.key)
        for _ in 0..<5 { _ = try await store.consume(userID: userID, codeDigest: wrong, purpose: .verifyEmail, maximumAttempts: 5) }
        #expect(
            try await store.consume(userID: userID, codeDigest: againRight, purpose: .verifyEmail, maximumAttempts: 5) == nil,
            "dead after five misses"
        )
    }

    @Test func askingAgainBuysNoMoreThanTenWrongCodesADay() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "patient")
        let wrong = AccountChallenge.codeDigest("00000000", userID: userID, purpose: .resetPassword, key: Self.key)
        for _ in 0..<2 {
            try await Self.issue(store, userID: userID, AccountChallenge.make(.resetPassword))
            for _ in 0..<5 { #expect(try await !store.checkCode(userID: userID, codeDigest: wrong, purpose: .resetPassword, maximumAttempts: 5)) }
        }
        let third = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, third)
        let right = AccountChallenge.codeDigest(third.code, userID: userID, purpose: .resetPassword, key: Self.key)
        #expect(
            try await !store.checkCode(userID: userID, codeDigest: right, purpose: .resetPassword, maximumAttempts: 5),
            "ten wrong codes today: no code is checked"
        )
        let token = AccountChallenge.tokenDigest(third.token, purpose: .resetPassword, key: Self.key)
        #expect(try await store.consume(tokenDigest: token, purpose: .resetPassword)?.userID == userID, "the link still works")
        let other = AccountChallenge.make(.verifyEmail)
        try await Self.issue(store, userID: userID, other)
        let otherRight = AccountChallenge.codeDigest(other.code, userID: userID, purpose: .verifyEmail, key: Self.key)
        #expect(try await store.checkCode(userID: userID, codeDigest: otherRight, purpose: .verifyEmail, maximumAttempts: 5), "counted per purpose")
    }

    @Test func fiftyConcurrentWrongCodesCountAsFiveAtMost() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "guesser")
        let challenge = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, challenge)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for guess in 0..<50 where String(format: "%08d", guess) != challenge.code {
                let digest = AccountChallenge.codeDigest(String(format: "%08d", guess), userID: userID, purpose: .resetPassword, key: Self.key)
                group.addTask { _ = try await store.consume(userID: userID, codeDigest: digest, purpose: .resetPassword, maximumAttempts: 5) }
            }
            try await group.waitForAll()
        }
        #expect(try await Self.count(database, "SELECT code_attempts FROM account_challenges") == 5, "no more guesses counted than allowed")
        let right = AccountChallenge.codeDigest(challenge.code, userID: userID, purpose: .resetPassword, key: Self.key)
        #expect(try await store.consume(userID: userID, codeDigest: right, purpose: .resetPassword, maximumAttempts: 5) == nil)
    }

    @Test func twentyConcurrentSubmissionsOfOneTokenSucceedOnce() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "racer")
        let challenge = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, challenge)
        let digest = AccountChallenge.tokenDigest(challenge.token, purpose: .resetPassword, key: Self.key)
        let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await store.consume(tokenDigest: digest, purpose: .resetPassword) != nil } }
            var count = 0
            for try await success in group where success { count += 1 }
            return count
        }
        #expect(successes == 1)
    }

    @Test func theChallengeTableHoldsNeitherTheCodeNorTheToken() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let store = PostgresChallengeStore(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        let userID = try await Self.user(database, "copied")
        let challenge = AccountChallenge.make(.resetPassword)
        try await Self.issue(store, userID: userID, challenge)
        let rows = try await database.pool.withConnection {
            try $0.query(PreparedStatement(name: "challenge_dump", sql: "SELECT account_challenges::text FROM account_challenges")).rows
        }
        let dump = rows.compactMap { $0.first ?? nil }.joined()
        #expect(!dump.isEmpty)
        #expect(!dump.contains(challenge.code) && !dump.contains(challenge.token))
    }
}
