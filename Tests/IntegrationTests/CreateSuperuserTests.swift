import ServiceTesting
import Foundation
import Testing
import WireTesting
@testable import IdentityService

@Suite("identity create-superuser")
struct CreateSuperuserTests {
    @Test func createsASuperAdminOnceAndRefusesAWeakPassword() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "su")
        defer { directory.remove() }
        let passwordFile = directory.appending("password")
        try "Adm1nSecretPw\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let environment = [
            "DATABASE_URL": database.url, "LOG_LEVEL": "warning", "ARGON2_MEMORY_KIB": "1024", "ARGON2_ITERATIONS": "1", "ARGON2_ALLOW_WEAK": "true",
        ]
        let arguments = ["create-superuser", "--username", "root_admin", "--email", "root@example.com", "--password-file", passwordFile]

        let first = try await ChildProcess.run(Executables.path("identity"), arguments, environment: environment)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("created super_admin root_admin"))
        let again = try await ChildProcess.run(Executables.path("identity"), arguments, environment: environment)
        #expect(again.status == 0)
        #expect(again.output.contains("exists already"))

        let user = try #require(try await PostgresUserStore(pool: database.pool).find(login: "root_admin"))
        #expect(user.role == "super_admin")
        #expect(user.passwordHash.hasPrefix("$argon2id$"))

        try "weak\n".write(toFile: passwordFile, atomically: true, encoding: .utf8)
        let weak = try await ChildProcess.run(
            Executables.path("identity"),
            ["create-superuser", "--username", "other_admin", "--email", "o@example.com", "--password-file", passwordFile],
            environment: environment
        )
        #expect(weak.status == 1)
        #expect(weak.output.contains("password"), "\(weak.output)")
    }
}
