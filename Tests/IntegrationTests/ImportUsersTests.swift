import ServiceTesting
import Foundation
import Testing
import WireProtocol
import WireTesting
@testable import IdentityService

@Suite("identity import-users")
struct ImportUsersTests {
    @Test func usersFromTheFastAPIServiceKeepTheirPasswordsAndAreUpgradedAtLogin() async throws {
        let database = try await TestDatabase()
        defer { Task { await database.drop() } }
        let directory = TemporaryDirectory(prefix: "import")
        defer { directory.remove() }

        // passlib's argon2 defaults (m=65536, t=3, p=4), as the FastAPI service stored them.
        let passlib = Argon2PasswordHasher(backend: .libargon2, parameters: Argon2Parameters(memoryKiB: 65536, iterations: 3, parallelism: 4))
        let legacyHash = try await database.blockingPool.run { try passlib.hash("OldPass123") }
        let csv = """
            id,username,email,full_name,hashed_password,is_active,created_at
            41,legacy_one,Legacy.One@Example.com,"One, Legacy","\(legacyHash)",true,2025-01-02T03:04:05+00:00
            42,legacy_two,legacy2@example.com,,"\(legacyHash)",false,2025-01-02T03:04:05+00:00
            43,legacy_bcrypt,b@example.com,,$2b$12$abcdefghijklmnopqrstuv,true,
            """
        let csvPath = directory.appending("users.csv")
        try csv.write(toFile: csvPath, atomically: true, encoding: .utf8)
        let environment = ["DATABASE_URL": database.url, "LOG_LEVEL": "warning"]

        let first = try await ChildProcess.run(Executables.path("identity"), ["import-users", csvPath], environment: environment)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("2 imported, 0 already present, 1 invalid"), "\(first.output)")
        let again = try await ChildProcess.run(Executables.path("identity"), ["import-users", csvPath], environment: environment)
        #expect(again.output.contains("0 imported, 2 already present"), "\(again.output)")

        let jsonPath = directory.appending("users.json")
        try #"[{"id": 44, "username": "legacy_json", "email": "j@example.com", "hashed_password": "\#(legacyHash)", "is_active": true}]"#
            .write(toFile: jsonPath, atomically: true, encoding: .utf8)
        let json = try await ChildProcess.run(Executables.path("identity"), ["import-users", jsonPath], environment: environment)
        #expect(json.output.contains("1 imported"), "\(json.output)")

        let store = PostgresUserStore(pool: database.pool)
        let imported = try #require(try await store.find(login: "legacy_one"))
        #expect(imported.id == 41)
        #expect(imported.email == "legacy.one@example.com")
        #expect(imported.fullName == "One, Legacy")
        #expect(imported.createdAt.hasPrefix("2025-01-02T03:04:05"))
        #expect(try await store.find(login: "legacy_two")?.isActive == false)

        let operations = try IdentityFixtures.operations(database, parameters: .owasp)
        let user = try await operations.verifyCredentials(IdentityFixtures.login("legacy_one", "OldPass123"), IdentityFixtures.context)
        #expect(user.id == 41)
        #expect(try await store.find(id: 41)?.passwordHash.contains("m=19456,t=2,p=1") == true, "upgraded to the current parameters")
        _ = try await operations.verifyCredentials(IdentityFixtures.login("legacy_one", "OldPass123"), IdentityFixtures.context)

        // New registrations get ids past the imported ones.
        let fresh = try await operations.register(IdentityFixtures.registration("newcomer"), IdentityFixtures.context)
        #expect(fresh.id > 44)
    }
}
