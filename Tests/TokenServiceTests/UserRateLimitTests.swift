import Testing
import WireProtocol
@testable import TokenService

@Suite("Which limit an authenticated user gets")
struct UserRateLimitTests {
    static let limit: WireUserRateLimit = {
        var limit = WireUserRateLimit()
        limit.name = "user"
        limit.limit = 100
        limit.periodSeconds = 60
        for (name, count) in [("admin", 1000), ("Pro", 500)] {
            var rule = WireRateLimitRule()
            rule.key = "tier:\(name)"
            rule.limit = Int32(count)
            rule.periodSeconds = 60
            limit.byRole[name] = rule
        }
        return limit
    }()

    @Test func aTierWinsOverTheRoleWhichWinsOverTheDefault() {
        #expect(TokenOperations.rule(Self.limit, role: "user", tier: nil) == RateLimitRule(key: "user:default", limit: 100, periodSeconds: 60))
        #expect(TokenOperations.rule(Self.limit, role: "admin", tier: nil) == RateLimitRule(key: "user:admin", limit: 1000, periodSeconds: 60))
        #expect(TokenOperations.rule(Self.limit, role: "user", tier: "Pro") == RateLimitRule(key: "user:Pro", limit: 500, periodSeconds: 60))
        #expect(TokenOperations.rule(Self.limit, role: "admin", tier: "Pro") == RateLimitRule(key: "user:Pro", limit: 500, periodSeconds: 60))
        #expect(
            TokenOperations.rule(Self.limit, role: "admin", tier: "Gold") == RateLimitRule(key: "user:admin", limit: 1000, periodSeconds: 60),
            "an unlisted tier falls back to the role"
        )
        #expect(TokenOperations.rule(Self.limit, role: "user", tier: "") == RateLimitRule(key: "user:default", limit: 100, periodSeconds: 60))
    }

    @Test func longKeysAreNamedByTheirDigestNotDropped() {
        #expect(TokenOperations.bucketName("login:ip:192.0.2.1") == "login:ip:192.0.2.1")
        let long = "login:account:n:" + String(repeating: "x", count: 300)
        let named = TokenOperations.bucketName(long)
        #expect(named.hasPrefix("d:") && named.utf8.count == 66)
        #expect(named == TokenOperations.bucketName(long), "the same key, the same bucket")
        #expect(named != TokenOperations.bucketName(long + "y"))
    }
}
