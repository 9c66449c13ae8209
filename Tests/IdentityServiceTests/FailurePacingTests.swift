import IdentityService
import Testing

@Suite("Failed logins answered in line")
struct FailurePacingTests {
    @Test func everyFailureWaitsForTheSlowestRecentOne() {
        let pacing = FailurePacing(window: 4, cap: .seconds(2))
        // An unknown user (a dummy hash), then a wrong password (a hash and a write), then an
        // account whose imported hash is heavier, then unknown again.
        #expect(pacing.delay(after: .milliseconds(16)) == .zero)
        #expect(pacing.delay(after: .milliseconds(19)) == .zero)
        #expect(pacing.delay(after: .milliseconds(60)) == .zero)
        #expect(pacing.delay(after: .milliseconds(16)) == .milliseconds(44), "answered when the heavy one was")
        #expect(pacing.delay(after: .milliseconds(19)) == .milliseconds(41))
    }

    @Test func anOldSlowFailureLeavesTheWindow() {
        let pacing = FailurePacing(window: 2, cap: .seconds(2))
        _ = pacing.delay(after: .milliseconds(90))
        _ = pacing.delay(after: .milliseconds(20))
        #expect(pacing.delay(after: .milliseconds(20)) == .zero, "the 90 ms one is out of the last two")
    }

    @Test func theWaitIsCapped() {
        let pacing = FailurePacing(window: 8, cap: .milliseconds(500))
        _ = pacing.delay(after: .seconds(30))
        #expect(pacing.delay(after: .milliseconds(20)) == .milliseconds(480))
    }
}
