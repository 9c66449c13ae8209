import Testing
@testable import IdentityService

@Suite("Tier names (seed 002)")
struct TierNameTests {
    @Test(arguments: ["Pro", "pro", "gold-2026", "Team_Plus", "a", String(repeating: "x", count: 32)])
    func accepted(name: String) {
        #expect(IdentityOperations.isTierName(name))
    }

    @Test(arguments: ["", "-pro", ".pro", "Pro Plus", "pro!", "prö", String(repeating: "x", count: 33), "pro\u{0}"])
    func refused(name: String) {
        #expect(!IdentityOperations.isTierName(name))
    }
}
