import Foundation
import Testing
import WireTesting
@testable import TokenService

/// The times handed to the Redis scripts: seconds with millisecond precision.
@Suite("Script times")
struct ScriptTimeTests {
    @Test(arguments: [0, 0.001, 0.5, 1, 9.999, 59.01, 1_763_900_000.123, 1_763_900_000.9994, 1_763_900_000.0006, 4_102_444_800.25])
    func printsWhatPrintfPrints(time: Double) {
        #expect(ScriptTime.format(time) == String(format: "%.3f", time))
        #expect(ScriptTime.format(-time) == String(format: "%.3f", -time).replacingOccurrences(of: "-0.000", with: "0.000"))
    }

    @Test func clockReadingsKeepTheirMillisecond() {
        var generator = SeededRandomNumberGenerator.forTest("random clock readings")
        for _ in 0..<10_000 {
            let time = Double.random(in: 1_700_000_000...2_000_000_000, using: &generator)
            let printed = ScriptTime.format(time)
            let parts = printed.split(separator: ".")
            #expect(parts.count == 2 && parts[1].count == 3)
            #expect(abs((Double(printed) ?? 0) - time) <= 0.0005 + 1e-6)
        }
    }

    @Test func valuesBeyondMillisecondsFallBackToPrintf() {
        #expect(ScriptTime.format(1e20) == String(format: "%.3f", 1e20))
        #expect(ScriptTime.format(.infinity) == String(format: "%.3f", Double.infinity))
    }
}
