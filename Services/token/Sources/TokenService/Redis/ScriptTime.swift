import Foundation

/// Times as the Lua scripts read them: seconds since 1970 with millisecond precision.
enum ScriptTime {
    /// What `%.3f` prints (but for the rounding of exact halves), without Foundation's
    /// formatter, which ran on every token check.
    static func format(_ time: Double) -> String {
        guard time.isFinite, time.magnitude < 1e15 else { return String(format: "%.3f", time) }
        let milliseconds = Int64((time * 1000).rounded())
        let (seconds, fraction) = milliseconds.magnitude.quotientAndRemainder(dividingBy: 1000)
        let digits = String(fraction)
        let padding = String(repeating: "0", count: 3 - digits.count)
        return "\(milliseconds < 0 ? "-" : "")\(seconds).\(padding)\(digits)"
    }
}
