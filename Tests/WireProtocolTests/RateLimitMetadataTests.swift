import Testing
import WireProtocol

@Suite("A refused rate-limit decision in error metadata")
struct RateLimitMetadataTests {
    @Test func aDecisionComesBackAsItWasSent() {
        var decision = WireRateLimitDecision()
        decision.limit = 100
        decision.remaining = 0
        decision.resetSeconds = 41.25
        decision.retryAfterSeconds = 0.6
        #expect(WireRateLimitDecision(metadata: decision.metadata) == decision)
    }

    @Test func metadataWithoutADecisionIsNone() {
        #expect(WireRateLimitDecision(metadata: [:]) == nil)
        #expect(WireRateLimitDecision(metadata: ["user_id": "7"]) == nil)
        #expect(WireRateLimitDecision(metadata: ["limit": "x", "remaining": "0", "reset_seconds": "1", "retry_after_seconds": "1"]) == nil)
    }
}
