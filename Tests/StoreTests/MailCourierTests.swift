import Foundation
import Logging
import NIOCore
import ServiceTesting
import Testing
import WireTesting

@testable import IdentityService

/// The outbox in the real PostgreSQL delivered by the courier to a real SMTP server (aiosmtpd):
/// delivered and erased, a 451 delivered on retry, a 550 given up, a server down for a while
/// delivered after it comes back, two couriers draining one outbox each message once.
@Suite("Mail outbox and courier")
struct MailCourierTests {
    static var logger: Logger {
        var logger = Logger(label: "courier")
        logger.logLevel = .critical
        return logger
    }

    /// Retries at once: the tests move time by running passes, not by waiting.
    static var quick: MailCourier.Timing {
        var timing = MailCourier.Timing()
        timing.firstRetrySeconds = 0
        timing.maximumRetrySeconds = 0
        timing.pollInterval = .milliseconds(20)
        // A pass takes all that is due (the tests' deliveries take well under the lease).
        timing.batch = 16
        return timing
    }

    static func message(_ index: Int) throws -> String {
        let message = try MailMessage(
            from: "Auth <no-reply@example.com>",
            to: "user\(index)@example.com",
            subject: "Message \(index)",
            text: "Code \(index)",
            html: nil,
            date: 1_765_123_456,
            messageID: "<m\(index)-\(UUID().uuidString)@example.com>"
        )
        return String(decoding: message.rendered(), as: UTF8.self)
    }

    static func rows(_ database: TestDatabase) async throws -> [[String?]] {
        try await database.pool.withConnection {
            try $0.query(
                PreparedStatement(
                    name: "outbox_rows",
                    sql: "SELECT id, message IS NULL, sent_at IS NOT NULL, failed_at IS NOT NULL, attempts, last_error FROM mail_outbox ORDER BY id"
                )
            ).rows
        }
    }

    static func client(_ server: SMTPTestServer) -> SMTPClient {
        SMTPClient(server: .init(host: "127.0.0.1", port: server.port, security: .none, credentials: nil), stepTimeout: .seconds(5))
    }

    @Test func queuedMailIsDeliveredOnceAndErasedAndA451IsTriedAgain() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "courier")
        defer { directory.remove() }
        let server = try await SMTPTestServer(["--fail-first", "451"], in: directory)
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        for index in 1...3 {
            try await outbox.enqueue(
                purpose: "test",
                envelopeFrom: "no-reply@example.com",
                recipient: "user\(index)@example.com",
                message: try Self.message(index)
            )
        }
        #expect(try await outbox.waiting().count == 3)
        let courier = MailCourier(outbox: outbox, transport: Self.client(server), timing: Self.quick, logger: Self.logger)
        #expect(await courier.deliverDue() == 3)
        #expect(server.messages.count == 2, "the first answered 451")
        #expect(await courier.deliverDue() == 1, "the 451 is due again")
        #expect(server.messages.count == 3)
        #expect(await courier.deliverDue() == 0)
        let rows = try await Self.rows(database)
        #expect(rows.allSatisfy { $0[1] == "t" && $0[2] == "t" && $0[3] == "f" }, "delivered and erased: \(rows)")
        #expect(rows.map { $0[4] }.sorted { ($0 ?? "") < ($1 ?? "") } == ["1", "1", "2"])
        #expect(try await outbox.waiting().count == 0)
        await server.stop()
    }

    @Test func a550IsGivenUpAndErased() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "courier")
        defer { directory.remove() }
        let server = try await SMTPTestServer(["--reject", "550"], in: directory)
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        try await outbox.enqueue(purpose: "test", envelopeFrom: "no-reply@example.com", recipient: "nobody@example.com", message: try Self.message(1))
        let courier = MailCourier(outbox: outbox, transport: Self.client(server), timing: Self.quick, logger: Self.logger)
        #expect(await courier.deliverDue() == 1)
        #expect(await courier.deliverDue() == 0, "never tried again")
        let rows = try await Self.rows(database)
        #expect(rows.count == 1 && rows[0][1] == "t" && rows[0][2] == "f" && rows[0][3] == "t")
        #expect(rows[0][5]?.hasPrefix("550") == true)
        await server.stop()
    }

    @Test func aServerDownForAWhileGetsTheMailWhenItComesBack() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "courier")
        defer { directory.remove() }
        let port = freeLoopbackPort()
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        try await outbox.enqueue(purpose: "test", envelopeFrom: "no-reply@example.com", recipient: "user1@example.com", message: try Self.message(1))
        let transport = SMTPClient(server: .init(host: "127.0.0.1", port: port, security: .none, credentials: nil), stepTimeout: .seconds(5))
        let courier = MailCourier(outbox: outbox, transport: transport, timing: Self.quick, logger: Self.logger)
        #expect(await courier.deliverDue() == 1)
        #expect(await courier.deliverDue() == 1, "refused, tried again")
        let server = try await SMTPTestServer([], in: directory, port: port)
        #expect(await courier.deliverDue() == 1)
        #expect(server.messages.count == 1)
        #expect(try await outbox.waiting().count == 0)
        await server.stop()
    }

    @Test func temporaryFailuresPastTheWindowAreGivenUp() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        try await outbox.enqueue(purpose: "test", envelopeFrom: "no-reply@example.com", recipient: "user1@example.com", message: try Self.message(1))
        try await database.execute("UPDATE mail_outbox SET created_at = now() - interval '2 days'")
        let transport = SMTPClient(server: .init(host: "127.0.0.1", port: freeLoopbackPort(), security: .none, credentials: nil))
        let courier = MailCourier(outbox: outbox, transport: transport, timing: Self.quick, logger: Self.logger)
        #expect(await courier.deliverDue() == 1)
        let rows = try await Self.rows(database)
        #expect(rows.count == 1 && rows[0][3] == "t" && rows[0][5]?.hasPrefix("gave up after 1 attempts") == true, "\(rows)")
    }

    @Test func twoCouriersDrainOneOutboxDeliveringEachMessageOnce() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "courier")
        defer { directory.remove() }
        let server = try await SMTPTestServer([], in: directory)
        let outbox = PostgresMailOutbox(pool: database.pool, seal: MailSeal(secret: "a-test-secret-of-at-least-32-characters"))
        for index in 1...40 {
            try await outbox.enqueue(
                purpose: "test",
                envelopeFrom: "no-reply@example.com",
                recipient: "user\(index)@example.com",
                message: try Self.message(index)
            )
        }
        var timing = Self.quick
        timing.batch = 4
        let first = MailCourier(outbox: outbox, transport: Self.client(server), timing: timing, logger: Self.logger)
        let second = MailCourier(outbox: outbox, transport: Self.client(server), timing: timing, logger: Self.logger)
        async let a: Int = {
            var total = 0; while true { let n = await first.deliverDue(); if n == 0 { return total }; total += n }
        }()
        async let b: Int = {
            var total = 0; while true { let n = await second.deliverDue(); if n == 0 { return total }; total += n }
        }()
        let (byFirst, bySecond) = await (a, b)
        #expect(byFirst + bySecond == 40)
        #expect(byFirst > 0 && bySecond > 0, "both took part: \(byFirst) and \(bySecond)")
        let subjects = server.messages.compactMap { $0.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") } }
        #expect(subjects.count == 40 && Set(subjects).count == 40, "each message once")
        await server.stop()
    }

    @Test func aMailDirectoryGetsOneFilePerMessage() async throws {
        let directory = TemporaryDirectory(prefix: "maildir")
        defer { directory.remove() }
        let mailbox = MailDirectory(path: directory.appending("mail"))
        try await mailbox.deliver(Array(try Self.message(1).utf8), from: "no-reply@example.com", to: "user1@example.com")
        try await mailbox.deliver(Array(try Self.message(2).utf8), from: "no-reply@example.com", to: "user2@example.com")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.appending("mail"))
        #expect(files.count == 2 && files.allSatisfy { $0.hasSuffix(".eml") })
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.appending("mail/\(files[0])"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600, "it holds codes: its owner's only")
    }
}
