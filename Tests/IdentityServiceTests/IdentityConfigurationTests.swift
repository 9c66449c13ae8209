import IdentityService
import ServiceSupport
import Testing
import WireTransport

@Suite("IdentityConfiguration")
struct IdentityConfigurationTests {
    @Test(arguments: [
        ("postgresql://u:p@db:5432/auth?sslmode=require", "postgresql://u:p@db:5432/auth?sslmode=require"),
        ("postgres://u@db/auth", "postgresql://u@db/auth"),
        ("postgresql+asyncpg://u:p@db/auth", "postgresql://u:p@db/auth"),
        ("postgres+asyncpg://u:p@db/auth", "postgresql://u:p@db/auth"),
    ])
    func acceptsTheSeedsURLForms(given: String, used: String) throws {
        let configuration = try IdentityConfiguration(environment: EnvironmentReader(["DATABASE_URL": given]))
        #expect(configuration.databaseURL == used)
    }

    @Test func defaultsAndOverrides() throws {
        let configuration = try IdentityConfiguration(
            environment: EnvironmentReader(["DATABASE_URL": "postgresql://db/auth", "IDENTITY_SOCKET": "/tmp/x/identity.sock"]),
            cores: 2
        )
        #expect(configuration.socket == .unix(path: "/tmp/x/identity.sock"))
        #expect(configuration.blockingThreads == 2)
        #expect(configuration.maximumFrameLength == 1 << 20)
    }

    @Test(arguments: [
        (["DATABASE_URL": "mysql://db"], "DATABASE_URL"),
        ([:], "DATABASE_URL"),
        (["DATABASE_URL": "postgresql://db/auth", "DATABASE_POOL_SIZE": "0"], "DATABASE_POOL_SIZE"),
        (["DATABASE_URL": "postgresql://db/auth", "MAX_FRAME_BYTES": "lots"], "MAX_FRAME_BYTES"),
    ])
    func wrongValuesNameTheirVariable(environment: [String: String], variable: String) {
        #expect {
            _ = try IdentityConfiguration(environment: EnvironmentReader(environment))
        } throws: { error in
            (error as? ConfigurationError)?.variable == variable
        }
    }

    @Test func migrationsAreNumberedInOrderWithoutGaps() {
        let versions = Migration.all.map(\.version)
        #expect(versions == Array(1...versions.count))
    }
}
