import HTTPTypes
import Hummingbird
import Logging
import WireProtocol

/// The gateway's use of the shared limits: which buckets a request counts against, what happens
/// when Redis is down (closed for login and register, open for the rest), and the headers.
struct RateLimits: Sendable {
    let configuration: RateLimitConfiguration
    let token: TokenClient

    func rule(_ key: String, _ rate: RateLimitConfiguration.Rate) -> WireRateLimitRule {
        var rule = WireRateLimitRule()
        rule.key = key
        rule.limit = Int32(rate.limit)
        rule.periodSeconds = rate.periodSeconds
        return rule
    }

    /// The user limit sent along with token verification (default and per-role tiers).
    var userLimit: WireUserRateLimit? {
        guard self.configuration.enabled else { return nil }
        var limit = WireUserRateLimit()
        limit.name = "user"
        limit.limit = Int32(self.configuration.standard.limit)
        limit.periodSeconds = self.configuration.standard.periodSeconds
        for (role, rate) in self.configuration.tiers { limit.byRole[role] = self.rule("tier:\(role)", rate) }
        return limit
    }

    /// The standard per-address limit of routes that name no user (refresh, logout, revoke),
    /// sent inside their token operation, which checks it first; `nil` when limits are off.
    func addressRule(_ address: String) -> WireRateLimitRule? {
        guard self.configuration.enabled else { return nil }
        return self.rule(Self.addressKey("default", address), self.configuration.standard)
    }

    /// The bucket of a per-address limit: by the IPv4 address, by the /64 of an IPv6 one (a
    /// single client is routinely given a whole /64 and could otherwise rotate through it).
    static func addressKey(_ rule: String, _ address: String) -> String {
        "\(rule):ip:\(ClientAddress.rateLimitBucket(address))"
    }

    /// Counts a password typed again by a signed-in user against the account's login limit,
    /// failing closed: guessing the password with a stolen access token is a login attempt.
    func checkPasswordConfirmation(userID: Int64, context: GatewayRequestContext) async throws -> WireRateLimitDecision? {
        try await self.check([self.rule(Sessions.accountKey("u:\(userID)"), self.configuration.login)], failClosed: true, context: context)
    }

    /// The per-address limit checked on its own (a logout with no token to end); open when the
    /// token service cannot be asked.
    func checkAddress(_ address: String, context: GatewayRequestContext) async throws -> WireRateLimitDecision? {
        guard let rule = self.addressRule(address) else { return nil }
        return try await self.check([rule], failClosed: false, context: context)
    }

    /// Counts the request against `rules`; throws 429 when any refuses.
    ///
    /// - Parameters:
    ///   - failClosed: refuse (503) when the limits cannot be checked.
    ///   - reportedRule: the index of the one rule whose bucket the `RateLimit-*` headers show
    ///     (login shows its address's only: another bucket's count would tell a client which
    ///     login names share an account); by default the tightest.
    /// - Returns: the decision for the `RateLimit-*` headers.
    func check(
        _ rules: [WireRateLimitRule],
        failClosed: Bool,
        reportedRule: Int? = nil,
        context: GatewayRequestContext
    ) async throws -> WireRateLimitDecision? {
        guard self.configuration.enabled, !rules.isEmpty else { return nil }
        var request = WireRateLimitRequest()
        request.rules = rules
        let reply: WireRateLimitReply
        do {
            reply = try await self.token.checkRateLimit(request, requestID: context.requestID)
        } catch {
            if failClosed {
                context.logger.warning("rate limits unavailable: refusing", metadata: ["error": "\(error)"])
                throw APIError.unavailable("Rate limiting unavailable, retry later", retryAfterSeconds: 5)
            }
            context.logger.warning("rate limits unavailable: allowing", metadata: ["error": "\(error)"])
            return nil
        }
        let reported = reportedRule.flatMap { reply.decisions.indices.contains($0) ? reply.decisions[$0] : nil }
        if let refused = reply.decisions.first(where: { !$0.allowed }) {
            throw Self.tooMany(refused, reporting: reported)
        }
        return reported ?? reply.decisions.min { $0.remaining < $1.remaining }
    }

    /// A 429 for the refused bucket: `Retry-After` says when it admits again; the `RateLimit-*`
    /// headers show `reporting` when given, else the refused bucket.
    static func tooMany(_ decision: WireRateLimitDecision, reporting: WireRateLimitDecision? = nil) -> APIError {
        var headers = HTTPFields()
        Self.apply(reporting ?? decision, to: &headers)
        headers[.retryAfter] = String(max(1, Int(decision.retryAfterSeconds.rounded(.up))))
        return APIError(.tooManyRequests, "Rate limit exceeded, retry later", headers: headers)
    }

    /// Runs `body`; an error answer it throws carries the limit's headers too (every limited
    /// response does, failures included).
    static func reporting<Result>(_ decision: WireRateLimitDecision?, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch var error as APIError {
            Self.apply(decision, to: &error.headers)
            throw error
        }
    }

    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (IETF draft names).
    static func apply(_ decision: WireRateLimitDecision?, to headers: inout HTTPFields) {
        guard let decision else { return }
        headers[.rateLimitLimit] = String(decision.limit)
        headers[.rateLimitRemaining] = String(max(0, decision.remaining))
        headers[.rateLimitReset] = String(max(0, Int(decision.resetSeconds.rounded(.up))))
    }

    /// Who is asking, for lockout, audit and session lists.
    func client(_ request: Request, _ context: GatewayRequestContext) -> WireClientInfo {
        var client = WireClientInfo()
        client.ip = context.clientAddress
        client.userAgent = String((request.headers[.userAgent] ?? "").prefix(256))
        return client
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}
