import Foundation
import ServiceTesting
import Testing
import WireTesting

@testable import IdentityService

/// What the account's mail keeps in PostgreSQL: messages sealed while they wait (a copy of the
/// database reads no code or link), and the per-address send counts.
@Suite("Mail sealing and send limits")
struct MailSealTests {
    static let secret = "a-test-secret-of-at-least-32-characters"

    @Test func aSealedMessageOpensOnlyWithItsKeyForItsRecipientAndUnaltered() {
        let seal = MailSeal(secret: Self.secret)
        let sealed = seal.seal("Your code is 12345678", recipient: "ada@example.com")
        #expect(!sealed.contains("12345678") && sealed.hasPrefix("v1."))
        #expect(seal.open(sealed, recipient: "ada@example.com") == "Your code is 12345678")
        #expect(seal.open(sealed, recipient: "ADA@example.com") == "Your code is 12345678", "addresses compare without case")
        #expect(seal.open(sealed, recipient: "eve@example.com") == nil, "bound to its recipient")
        #expect(MailSeal(secret: Self.secret + "x").open(sealed, recipient: "ada@example.com") == nil, "another key")
        var bytes = Array(sealed.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(seal.open(String(decoding: bytes, as: UTF8.self), recipient: "ada@example.com") == nil, "altered")
        #expect(seal.open("Your code is 12345678", recipient: "ada@example.com") == nil, "clear text is not taken")
        #expect(seal.seal("same", recipient: "a@b.c") != seal.seal("same", recipient: "a@b.c"), "a fresh nonce each time")
    }

    @Test func theOutboxHoldsNoClearTextAndGivesUpAMessageThatNoLongerOpens() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: Self.secret))
        try await outbox.enqueue(purpose: "test", envelopeFrom: "no-reply@example.com", recipient: "ada@example.com", message: "code 12345678")
        let stored = try await database.pool.withConnection {
            try $0.query(PreparedStatement(name: "outbox_message", sql: "SELECT message FROM mail_outbox")).first("message")
        }
        #expect(stored?.contains("12345678") == false)

        let rotated = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: Self.secret + "-rotated"))
        #expect(try await rotated.claim(limit: 10, leaseSeconds: 300).isEmpty, "it does not open under another key")
        let row = try await database.pool.withConnection {
            try $0.query(PreparedStatement(name: "outbox_failed", sql: "SELECT failed_at IS NOT NULL AS failed FROM mail_outbox")).first("failed")
        }
        #expect(row == "t", "given up at once, not claimed again after each lease")
        #expect(try await outbox.waiting().count == 0)
    }

    @Test func challengesAskedForByAnyoneLeaveTheNoticesTheirOwnLimits() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let seal = MailSeal(secret: Self.secret)
        let mail = AccountMail(
            challenges: PostgresChallengeStore(pool: database.pool, seal: seal),
            outbox: PostgresMailOutbox(pool: database.pool, seal: seal),
            limits: PostgresMailSendLimits(pool: database.pool, minimumGapSeconds: 0, perHour: 5),
            templates: try MailTemplates(),
            settings: try MailSettings(
                endpoint: .file(directory: "/tmp"),
                from: "no-reply@example.com",
                publicURL: "https://auth.example.com",
                templates: try MailTemplates()
            ),
            secret: Self.secret
        )
        var admitted: [String: Int] = [:]
        for kind in ["reset_password", "verify_email"] {
            for _ in 0..<6 where try await mail.admitSend(to: "Ada@example.com", purpose: kind) { admitted[kind, default: 0] += 1 }
        }
        #expect(admitted == ["reset_password": 5, "verify_email": 5], "five of a kind an hour: \(admitted)")
        #expect(try await mail.admitSend(to: "ada@example.com", purpose: "password_changed"), "a notice, with every challenge spent")
        #expect(try await mail.admitSend(to: "ada@example.com", purpose: "email_changed"))
        #expect(try await mail.admitSend(to: "bob@example.com", purpose: "reset_password"), "another address counts apart")
    }

    @Test func oneAddressGetsOneMessageAMinuteAndFiveAnHour() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let limits = PostgresMailSendLimits(pool: database.pool)
        #expect(try await limits.admit(targetDigest: "a", purpose: "reset_password"))
        #expect(try await !limits.admit(targetDigest: "a", purpose: "reset_password"), "within the minute")
        #expect(try await limits.admit(targetDigest: "a", purpose: "verify_email"), "another purpose counts apart")
        #expect(try await limits.admit(targetDigest: "b", purpose: "reset_password"), "another address counts apart")

        // Without the minute's gap, the hour's count decides.
        let hourly = PostgresMailSendLimits(pool: database.pool, minimumGapSeconds: 0, perHour: 5)
        var admitted = 0
        for _ in 0..<8 where try await hourly.admit(targetDigest: "c", purpose: "reset_password") { admitted += 1 }
        #expect(admitted == 5)
        let concurrent = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await hourly.admit(targetDigest: "d", purpose: "reset_password") } }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(concurrent == 5, "atomic across concurrent requests")
    }
}
