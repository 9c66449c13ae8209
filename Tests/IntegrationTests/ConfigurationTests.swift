import ServiceTesting
import Foundation
import Testing
import WireTesting

@Suite("Fail fast on configuration")
struct ConfigurationTests {
    static let base: [String: String] = [
        "DATABASE_URL": TestServices.databaseURL,
        "REDIS_URL": TestServices.redisURL,
        "ACCESS_SECRET": randomSecret(),
        "REFRESH_SECRET": randomSecret(),
        "API_KEY_SECRET": randomSecret(),
        "IDENTITY_SOCKET": "/tmp/auth-config-test/identity.sock",
        "TOKEN_SOCKET": "/tmp/auth-config-test/token.sock",
    ]

    @Test(arguments: [
        ("token", "ACCESS_SECRET", "too-short-secret"),
        ("token", "REFRESH_SECRET", ""),
        ("token", "ACCESS_SECRET", "change-me-change-me-change-me-change-me"),
        ("token", "REDIS_URL", "http://localhost"),
        ("token", "ACCESS_TOKEN_EXPIRE_M", "zero"),
        ("identity", "DATABASE_URL", ""),
        ("identity", "DATABASE_URL", "mysql://localhost/db"),
        ("identity", "API_KEY_SECRET", ""),
        ("gateway", "PORT", "eighty"),
        ("gateway", "LOG_LEVEL", "loud"),
    ])
    func wrongOrMissingVariableStopsTheProcessNamingIt(executable: String, variable: String, value: String) async throws {
        var environment = Self.base
        environment[variable] = value.isEmpty ? nil : value
        // A hang bound only: the process should exit at once; a loaded machine starting a dozen
        // debug binaries together has taken over 10 s to.
        let result = try await ChildProcess.run(Executables.path(executable), ["serve"], environment: environment, timeout: .seconds(60))
        #expect(result.status == 78, "exit code EX_CONFIG: \(result.output)")
        #expect(result.output.contains(variable), "the message names \(variable): \(result.output)")
        #expect(!result.output.contains(Self.base["ACCESS_SECRET"]!), "never prints a secret")
    }

    @Test func migrateIsSafeToRunTwice() async throws {
        let environment = ["DATABASE_URL": TestServices.databaseURL, "LOG_LEVEL": "warning"]
        let first = try await ChildProcess.run(Executables.path("identity"), ["migrate"], environment: environment)
        let second = try await ChildProcess.run(Executables.path("identity"), ["migrate"], environment: environment)
        #expect(first.status == 0, "\(first.output)")
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("up to date"))
    }
}
