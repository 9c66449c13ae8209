import ServiceConfiguration
import Testing
import TokenService

@Suite("Token configuration and Redis URLs")
struct TokenConfigurationTests {
    static let secrets = ["ACCESS_SECRET": String(repeating: "a", count: 32), "REFRESH_SECRET": String(repeating: "r", count: 40)]

    @Test func redisURLForms() throws {
        let plain = try RedisEndpoint(url: "redis://127.0.0.1:6380/2")
        #expect(plain.address == .tcp(host: "127.0.0.1", port: 6380))
        #expect(plain.database == 2)
        #expect(plain.password == nil)

        let withPassword = try RedisEndpoint(url: "redis://:s%40cret@cache")
        #expect(withPassword.address == .tcp(host: "cache", port: 6379))
        #expect(withPassword.password == "s@cret")
        #expect(withPassword.username == nil)

        let withUser = try RedisEndpoint(url: "redis://app:pw@[::1]:7000/0")
        #expect(withUser.address == .tcp(host: "::1", port: 7000))
        #expect(withUser.username == "app")

        let unix = try RedisEndpoint(url: "unix:///run/redis.sock?db=3")
        #expect(unix.address == .unix(path: "/run/redis.sock"))
        #expect(unix.database == 3)
        #expect(!withPassword.description.contains("s@cret"), "descriptions never show the password")
    }

    @Test(arguments: ["http://cache", "redis://cache:99999", "redis://cache/16", "rediss://cache", "redis://"])
    func badRedisURLs(url: String) {
        #expect(throws: RedisURLError.self) { _ = try RedisEndpoint(url: url) }
    }

    @Test func secretsComeFromTheEnvironmentOrFiles() throws {
        var environment = Self.secrets
        environment["REDIS_URL"] = "redis://cache"
        let configuration = try TokenConfiguration(environment: EnvironmentReader(environment))
        #expect(configuration.accessTokenMinutes == 15)
        #expect(configuration.refreshTokenMinutes == 43200)

        environment["ACCESS_SECRET_FILE"] = "/nonexistent/secret"
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            (error as? ConfigurationError)?.variable == "ACCESS_SECRET"
        }
        environment["ACCESS_SECRET"] = nil
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            (error as? ConfigurationError)?.variable == "ACCESS_SECRET_FILE"
        }
    }

    @Test func shortSecretIsRefusedWithoutEchoingIt() {
        var environment = Self.secrets
        environment["REDIS_URL"] = "redis://cache"
        environment["REFRESH_SECRET"] = "hunter2"
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == "REFRESH_SECRET" && !error.description.contains("hunter2")
        }
    }

    @Test func equalSecretsAreRefused() {
        var environment = Self.secrets
        environment["REDIS_URL"] = "redis://cache"
        environment["REFRESH_SECRET"] = environment["ACCESS_SECRET"]
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == "REFRESH_SECRET" && !error.description.contains(Self.secrets["ACCESS_SECRET"]!)
        }
        // API_KEY_SECRET is identity's; where the token service sees it too, it must differ as well.
        environment = Self.secrets
        environment["REDIS_URL"] = "redis://cache"
        environment["API_KEY_SECRET"] = environment["REFRESH_SECRET"]
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            (error as? ConfigurationError)?.variable == "API_KEY_SECRET"
        }
    }

    @Test func aTCPSocketWithoutTLSRefusesToStartLoopbackIncluded() throws {
        var environment = Self.secrets
        environment["REDIS_URL"] = "redis://cache"
        environment["TOKEN_SOCKET"] = "tcp://10.0.0.5:7000"
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            guard let error = error as? ConfigurationError else { return false }
            return error.variable == "TOKEN_SOCKET" && error.reason.contains("BACKEND_TLS_CERT_FILE")
        }
        // Loopback too: any local user reaches a loopback port.
        environment["TOKEN_SOCKET"] = "tcp://127.0.0.1:7000"
        #expect { _ = try TokenConfiguration(environment: EnvironmentReader(environment)) } throws: { error in
            (error as? ConfigurationError)?.variable == "TOKEN_SOCKET"
        }
        environment["TOKEN_SOCKET"] = "/tmp/token.sock"
        _ = try TokenConfiguration(environment: EnvironmentReader(environment))
    }
}
