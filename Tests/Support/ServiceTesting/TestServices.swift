import Foundation

/// The PostgreSQL and Redis that `make test` started (DATABASE_URL, REDIS_URL).
public enum TestServices {
    public static var databaseURL: String { ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "postgresql://auth@127.0.0.1:5432/auth" }
    public static var redisURL: String { ProcessInfo.processInfo.environment["REDIS_URL"] ?? "redis://127.0.0.1:6379/0" }
}
