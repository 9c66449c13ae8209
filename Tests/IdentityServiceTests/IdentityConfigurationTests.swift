import Foundation
import IdentityService
import ServiceConfiguration
import Testing
import WireTransport

/// What `identity serve` needs besides the database.
let serveSecrets = ["API_KEY_SECRET": "an-api-key-secret-of-at-least-32-characters"]

@Suite("IdentityConfiguration")
struct IdentityConfigurationTests {
    @Test(arguments: [
        ("postgresql://u:p@db:5432/auth?sslmode=require", "postgresql://u:p@db:5432/auth?sslmode=require"),
        ("postgres://u@db/auth", "postgresql://u@db/auth"),
        ("postgresql+asyncpg://u:p@db/auth", "postgresql://u:p@db/auth"),
        ("postgres+asyncpg://u:p@db/auth", "postgresql://u:p@db/auth"),
    ])
    func acceptsTheSeedsURLForms(given: String, used: String) throws {
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(serveSecrets.merging(["DATABASE_URL": given]) { $1 }))
        #expect(configuration.databaseURL == used)
    }

    @Test func defaultsAndOverrides() throws {
        let configuration = try IdentityConfiguration(
            environment: EnvironmentReader(
                serveSecrets.merging(["DATABASE_URL": "postgresql://db/auth", "IDENTITY_SOCKET": "/tmp/x/identity.sock"]) { $1 }
            ),
            cores: 2
        )
        #expect(configuration.socket == .unix(path: "/tmp/x/identity.sock"))
        #expect(configuration.hashingThreads == 2, "hashing runs on as many threads as cores")
        #expect(configuration.hashingCompletionGroup == 8, "four per hashing thread")
        #expect(configuration.blockingThreads == configuration.databasePoolSize)
        #expect(configuration.argon2 == .owasp)
        #expect(configuration.lockout == LockoutPolicy(maximumAttempts: 5, durationSeconds: 1800))
        #expect(configuration.maximumFrameLength == 1 << 20)
        #expect(configuration.bootstrapAdmin == nil)
        #expect(configuration.userCacheSize == 10_000 && configuration.userCacheSeconds == 60)
    }

    @Test func oneShotCommandsNeedNoAPIKeySecret() throws {
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(["DATABASE_URL": "postgresql://db/auth"]), serving: false)
        #expect(configuration.apiKeySecret.isEmpty)
    }

    @Test func bootstrapAdminNeedsAllThreeAndAStrongPassword() throws {
        let base = serveSecrets.merging(["DATABASE_URL": "postgresql://db/auth"]) { $1 }
        let complete = base.merging([
            "BOOTSTRAP_ADMIN_USERNAME": "root_admin", "BOOTSTRAP_ADMIN_EMAIL": " Root@Example.com ", "BOOTSTRAP_ADMIN_PASSWORD": "StrongPass123",
        ]) { $1 }
        let admin = try #require(try IdentityConfiguration(environment: EnvironmentReader(complete)).bootstrapAdmin)
        #expect(admin.username == "root_admin")
        #expect(admin.email == "root@example.com")
        for (missing, variable) in [("BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_EMAIL"), ("BOOTSTRAP_ADMIN_PASSWORD", "BOOTSTRAP_ADMIN_PASSWORD")] {
            var partial = complete
            partial[missing] = nil
            #expect { _ = try IdentityConfiguration(environment: EnvironmentReader(partial)) } throws: {
                ($0 as? ConfigurationError)?.variable == variable
            }
        }
        var weak = complete
        weak["BOOTSTRAP_ADMIN_PASSWORD"] = "password"
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(weak))
        } throws: { error in
            let error = error as? ConfigurationError
            return error?.variable == "BOOTSTRAP_ADMIN_PASSWORD" && !(error?.description.contains("password\"") ?? true)
        }
    }

    @Test(arguments: [
        (["DATABASE_URL": "mysql://db"], "DATABASE_URL"),
        ([:], "DATABASE_URL"),
        (["DATABASE_URL": "postgresql://db/auth", "DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE"),
        (["DATABASE_URL": "postgresql://db/auth", "MAX_FRAME_BYTES": "lots"], "MAX_FRAME_BYTES"),
        (["DATABASE_URL": "postgresql://db/auth", "USER_CACHE_SIZE": "-1"], "USER_CACHE_SIZE"),
        (["DATABASE_URL": "postgresql://db/auth", "USER_CACHE_SECONDS": "0"], "USER_CACHE_SECONDS"),
        (["DATABASE_URL": "postgresql://db/auth", "HASHING_COMPLETION_GROUP": "0"], "HASHING_COMPLETION_GROUP"),
    ])
    func wrongValuesNameTheirVariable(environment: [String: String], variable: String) {
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(serveSecrets.merging(environment) { $1 }))
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func migrationsAreNumberedInOrderWithoutGaps() {
        let versions = Migration.all.map(\.version)
        #expect(versions == Array(1...versions.count))
    }
}

@Suite("Argon2 configuration")
struct Argon2ConfigurationTests {
    @Test func libsodiumRefusesMoreThanOneLane() {
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(["DATABASE_URL": "postgresql://db/a", "ARGON2_PARALLELISM": "4"]))
        } throws: { error in
            (error as? ConfigurationError)?.variable == "ARGON2_PARALLELISM"
        }
        let argon2 = try? IdentityConfiguration(
            environment: EnvironmentReader(
                serveSecrets.merging(["DATABASE_URL": "postgresql://db/a", "ARGON2_PARALLELISM": "4", "ARGON2_BACKEND": "libargon2"]) { $1 }
            )
        )
        #expect(argon2?.argon2.parallelism == 4)
    }

    @Test(arguments: [(19456, 2), (47104, 1), (12288, 3), (9216, 4), (7168, 5), (65536, 3)])
    func owaspRowsAreAccepted(memory: Int, iterations: Int) throws {
        let environment = ["DATABASE_URL": "postgresql://db/a", "ARGON2_MEMORY_KIB": String(memory), "ARGON2_ITERATIONS": String(iterations)]
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(serveSecrets.merging(environment) { $1 }))
        #expect(configuration.argon2.memoryKiB == memory)
    }

    @Test(arguments: [(19455, 2), (19456, 1), (47103, 1), (1024, 1), (4096, 4)])
    func weakerParametersAreRefusedUnlessAllowed(memory: Int, iterations: Int) throws {
        let environment = ["DATABASE_URL": "postgresql://db/a", "ARGON2_MEMORY_KIB": String(memory), "ARGON2_ITERATIONS": String(iterations)]
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(serveSecrets.merging(environment) { $1 }))
        } throws: { error in
            (error as? ConfigurationError)?.variable == "ARGON2_MEMORY_KIB"
        }
        let allowed = try IdentityConfiguration(
            environment: EnvironmentReader(serveSecrets.merging(environment) { $1 }.merging(["ARGON2_ALLOW_WEAK": "true"]) { $1 })
        )
        #expect(allowed.argon2.iterations == iterations)
    }

    @Test func theAPIKeySecretMustDifferFromTheTokenSecretsItCanSee() {
        let environment = serveSecrets.merging(["DATABASE_URL": "postgresql://db/a", "ACCESS_SECRET": serveSecrets["API_KEY_SECRET"]!]) { $1 }
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(environment))
        } throws: { error in
            (error as? ConfigurationError)?.variable == "API_KEY_SECRET"
        }
    }
}

/// The account's mail settings stop identity at start when they are wrong, naming the variable.
@Suite("Mail settings")
struct MailSettingsTests {
    static let base = serveSecrets.merging(["DATABASE_URL": "postgresql://db/auth"]) { $1 }
    static let mail = base.merging([
        "MAIL_URL": "smtp://courier:secret@mail.example.com:587", "MAIL_FROM": "Example <no-reply@example.com>",
        "PUBLIC_URL": "https://auth.example.com/",
    ]) { $1 }

    static func refusal(_ values: [String: String]) -> ConfigurationError? {
        do {
            _ = try IdentityConfiguration(environment: EnvironmentReader(values))
            return nil
        } catch {
            return error
        }
    }

    @Test func withoutMailVerificationIsOffAndCannotBeAskedFor() throws {
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(Self.base))
        #expect(configuration.mail == nil && configuration.emailVerification == .off)
        #expect(Self.refusal(Self.base.merging(["EMAIL_VERIFICATION": "required"]) { $1 })?.variable == "MAIL_URL")
    }

    @Test func anEmptyMailURLFileMeansNoMail() throws {
        let file = "/tmp/mail-url-\(UInt32.random(in: .min ... .max))"
        try "\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(Self.base.merging(["MAIL_URL_FILE": file]) { $1 }))
        #expect(configuration.mail == nil && configuration.emailVerification == .off)
    }

    @Test func plainHTTPLinksOnlyToThisMachine() throws {
        for url in ["http://127.0.0.1:8000", "http://localhost:8000/auth", "http://[::1]:8000"] {
            #expect(throws: Never.self) { try IdentityConfiguration(environment: EnvironmentReader(Self.mail.merging(["PUBLIC_URL": url]) { $1 })) }
        }
    }

    @Test func withMailVerificationIsOptionalAndTheSenderAndLinksAreRead() throws {
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(Self.mail))
        let mail = try #require(configuration.mail)
        #expect(configuration.emailVerification == .optional)
        #expect(mail.envelopeFrom == "no-reply@example.com" && mail.messageIDDomain == "example.com")
        #expect(mail.publicURL == "https://auth.example.com", "without its trailing slash")
        #expect(
            try IdentityConfiguration(environment: EnvironmentReader(Self.mail.merging(["EMAIL_VERIFICATION": "required"]) { $1 })).emailVerification
                == .required
        )
    }

    @Test(
        arguments: [
            ("MAIL_FROM", nil, "MAIL_FROM"),
            ("MAIL_FROM", "no address here", "MAIL_FROM"),
            ("MAIL_FROM", "Evil <a@b.c>\r\nBcc: x@y.z", "MAIL_FROM"),
            ("PUBLIC_URL", nil, "PUBLIC_URL"),
            ("PUBLIC_URL", "ftp://auth.example.com", "PUBLIC_URL"),
            ("PUBLIC_URL", "https://auth.example.com/?next=x", "PUBLIC_URL"),
            ("MAIL_URL", "smtp://mail.example.com:587?tls=none", "MAIL_URL"),
            ("MAIL_TEMPLATES_DIR", "/nonexistent/templates", "MAIL_TEMPLATES_DIR"),
            ("MAIL_CA_FILE", "/nonexistent/ca.pem", "MAIL_CA_FILE"),
            ("MAIL_CA_FILE", "/etc/hostname", "MAIL_CA_FILE"),
            ("PUBLIC_URL", "http://auth.example.com", "PUBLIC_URL"),
            ("PUBLIC_URL", "http://127.0.0.1.nip.io", "PUBLIC_URL"),
            ("MAIL_URL", "file:///nonexistent/parent/mail", "MAIL_URL"),
            ("EMAIL_VERIFICATION", "sometimes", "EMAIL_VERIFICATION"),
        ] as [(String, String?, String)]
    )
    func aWrongValueStopsTheStartNamingIt(variable: String, value: String?, named: String) {
        var values = Self.mail
        values[variable] = value
        #expect(Self.refusal(values)?.variable == named)
    }

    @Test func aTemplateThatDoesNotParseStopsTheStartAndOthersReplaceTheBuiltInText() throws {
        let directory = "/tmp/mail-templates-\(UInt32.random(in: .min ... .max))"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "Reset for {{username}} at Example".write(toFile: directory + "/reset_password.subject.mustache", atomically: true, encoding: .utf8)
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(Self.mail.merging(["MAIL_TEMPLATES_DIR": directory]) { $1 }))
        let rendered = try #require(configuration.mail).templates.render(.resetPassword, ["username": "ada", "code": "12345678"])
        #expect(rendered.subject == "Reset for ada at Example")
        #expect(rendered.text.contains("12345678"), "the other parts keep the built-in text")
        try "Hello".write(toFile: directory + "/reset_pasword.subject.mustache", atomically: true, encoding: .utf8)
        #expect(Self.refusal(Self.mail.merging(["MAIL_TEMPLATES_DIR": directory]) { $1 })?.variable == "MAIL_TEMPLATES_DIR", "a misnamed file")
        try FileManager.default.removeItem(atPath: directory + "/reset_pasword.subject.mustache")
        try "{{#unclosed}}".write(toFile: directory + "/verify_email.html.mustache", atomically: true, encoding: .utf8)
        #expect(Self.refusal(Self.mail.merging(["MAIL_TEMPLATES_DIR": directory]) { $1 })?.variable == "MAIL_TEMPLATES_DIR")
    }

    @Test func valuesAreEscapedInHTMLAndASubjectStaysOneLine() throws {
        let templates = try MailTemplates()
        let rendered = templates.render(.verifyEmail, ["username": "<b>ada</b>", "code": "12345678", "link": "https://x/y?token=a&b"])
        #expect(rendered.html.contains("&lt;b&gt;ada&lt;/b&gt;") && !rendered.html.contains("<b>ada"))
        #expect(rendered.text.contains("https://x/y?token=a&b"), "the text part is not HTML")
        #expect(!rendered.subject.contains("\n"))
    }
}
