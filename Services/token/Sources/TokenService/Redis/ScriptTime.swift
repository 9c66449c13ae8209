#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Times as the Lua scripts read them: seconds since 1970 with millisecond precision.
enum ScriptTime {
    /// What `%.3f` prints (but for the rounding of exact halves), without Foundation's
    /// formatter, which ran on every token check.
    static func format(_ time: Double) -> String {
        guard time.isFinite, time.magnitude < 1e15 else { return Self.printed(time) }
        let milliseconds = Int64((time * 1000).rounded())
        let (seconds, fraction) = milliseconds.magnitude.quotientAndRemainder(dividingBy: 1000)
        let digits = String(fraction)
        let padding = String(repeating: "0", count: 3 - digits.count)
        return "\(milliseconds < 0 ? "-" : "")\(seconds).\(padding)\(digits)"
    }

    /// `%.3f` by the C library, for what no clock gives (infinities, times past year 30,000).
    private static func printed(_ time: Double) -> String {
        withVaList([time]) { arguments in
            // The longest `%.3f` of a Double: 309 digits, a sign, a point and three decimals.
            var buffer = [CChar](repeating: 0, count: 330)
            let count = vsnprintf(&buffer, buffer.count, "%.3f", arguments)
            return String(decoding: buffer.prefix(max(0, min(Int(count), buffer.count - 1))).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
