import Foundation
public import ServiceConfiguration

/// `N/period` limits (seed 001's defaults) and where the client address comes from.
public struct RateLimitConfiguration: Sendable, Hashable {
    public struct Rate: Sendable, Hashable {
        public var limit: Int
        public var periodSeconds: Double
    }

    /// `RATE_LIMIT_ENABLED` (true).
    public var enabled: Bool
    /// `RATE_LIMIT_LOGIN` (5/minute): both login routes and the token endpoint, per IP and per account.
    public var login: Rate
    /// `RATE_LIMIT_REGISTER` (3/hour), per IP.
    public var register: Rate
    /// `RATE_LIMIT_EMAIL` (10/hour), per IP: requests that send mail (forgot-password,
    /// request-verify-token).
    public var email: Rate
    /// `RATE_LIMIT_DEFAULT` (100/minute): everything else, per user when authenticated, per IP otherwise.
    public var standard: Rate
    /// `RATE_LIMIT_TIERS` (`{"admin": "1000/minute"}`): per-role limits for authenticated users.
    public var tiers: [String: Rate]
    /// `TRUSTED_PROXIES` (comma-separated IPs): only from these is `X-Forwarded-For` believed.
    public var trustedProxies: Set<String>

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.enabled = try environment.boolean("RATE_LIMIT_ENABLED", default: true)
        self.login = try Self.rate(environment.string("RATE_LIMIT_LOGIN", default: "5/minute"), variable: "RATE_LIMIT_LOGIN")
        self.register = try Self.rate(environment.string("RATE_LIMIT_REGISTER", default: "3/hour"), variable: "RATE_LIMIT_REGISTER")
        self.email = try Self.rate(environment.string("RATE_LIMIT_EMAIL", default: "10/hour"), variable: "RATE_LIMIT_EMAIL")
        self.standard = try Self.rate(environment.string("RATE_LIMIT_DEFAULT", default: "100/minute"), variable: "RATE_LIMIT_DEFAULT")
        self.tiers = [:]
        if let text = environment.optional("RATE_LIMIT_TIERS") {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                throw ConfigurationError(variable: "RATE_LIMIT_TIERS", reason: "must be a JSON object of role to \"N/period\"")
            }
            for (role, value) in object {
                guard let text = value as? String else {
                    throw ConfigurationError(variable: "RATE_LIMIT_TIERS", reason: "the limit of \(role) must be a string like \"1000/minute\"")
                }
                self.tiers[role] = try Self.rate(text, variable: "RATE_LIMIT_TIERS")
            }
        }
        self.trustedProxies = Set(
            environment.string("TRUSTED_PROXIES", default: "").split(separator: ",").map { String($0).filter { !$0.isWhitespace } }
                .filter { !$0.isEmpty }
        )
    }

    /// Parses `N/second|minute|hour|day` (plural and short forms too).
    static func rate(_ text: String, variable: String) throws(ConfigurationError) -> Rate {
        let parts = text.lowercased().split(separator: "/").map { $0.filter { !$0.isWhitespace } }
        guard parts.count == 2, let limit = Int(parts[0]), limit > 0, limit <= 1_000_000 else {
            throw ConfigurationError(variable: variable, reason: "must be N/period, e.g. 5/minute; got \"\(text)\"")
        }
        let seconds: Double
        switch parts[1] {
        case "s", "sec", "second", "seconds": seconds = 1
        case "m", "min", "minute", "minutes": seconds = 60
        case "h", "hour", "hours": seconds = 3600
        case "d", "day", "days": seconds = 86400
        default: throw ConfigurationError(variable: variable, reason: "the period must be second, minute, hour or day; got \"\(parts[1])\"")
        }
        return Rate(limit: limit, periodSeconds: seconds)
    }
}
