/// Checks a JSON text for what `JSONSerialization` lets through but we refuse: duplicate keys
/// (which one wins is parser-dependent, a classic smuggling trick), nesting deeper than a form
/// ever needs, and invalid UTF-8. It only scans; parsing stays with Foundation.
enum StrictJSON {
    static let maximumDepth = 16

    enum Problem: Error, Equatable {
        case invalidUTF8
        case tooDeep
        case duplicateKey(String)
        case malformed
    }

    static func check(_ bytes: some Collection<UInt8>) throws(Problem) {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw .invalidUTF8 }
        var scanner = Scanner(bytes: Array(bytes))
        try scanner.value(depth: 0)
        scanner.skipWhitespace()
        guard scanner.index == scanner.bytes.count else { throw .malformed }
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0

        mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func value(depth: Int) throws(Problem) {
            skipWhitespace()
            guard index < bytes.count else { throw .malformed }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                guard depth < StrictJSON.maximumDepth else { throw .tooDeep }
                index += 1
                var keys: Set<String> = []
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return }
                while true {
                    skipWhitespace()
                    let key = try string()
                    guard keys.insert(key).inserted else { throw .duplicateKey(key) }
                    skipWhitespace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .malformed }
                    index += 1
                    try value(depth: depth + 1)
                    skipWhitespace()
                    guard index < bytes.count else { throw .malformed }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "}") else { throw .malformed }
                    index += 1
                    return
                }
            case UInt8(ascii: "["):
                guard depth < StrictJSON.maximumDepth else { throw .tooDeep }
                index += 1
                skipWhitespace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return }
                while true {
                    try value(depth: depth + 1)
                    skipWhitespace()
                    guard index < bytes.count else { throw .malformed }
                    if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                    guard bytes[index] == UInt8(ascii: "]") else { throw .malformed }
                    index += 1
                    return
                }
            case UInt8(ascii: "\""):
                _ = try string()
            default:
                // Numbers, true, false, null: Foundation validates their spelling.
                while index < bytes.count, !",]} \t\r\n".utf8.contains(bytes[index]) { index += 1 }
            }
        }

        /// A string's value, its escapes decoded: keys that differ only in how they are
        /// escaped (`"passw\\u006frd"` and `"password"`) are the same key to every parser.
        mutating func string() throws(Problem) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .malformed }
            index += 1
            var scalars = String.UnicodeScalarView()
            var run = index
            func flush(upTo end: Int) {
                scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars)
            }
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                guard bytes[index] == UInt8(ascii: "\\") else {
                    guard bytes[index] >= 0x20 else { throw .malformed }
                    index += 1
                    continue
                }
                flush(upTo: index)
                index += 1
                guard index < bytes.count else { throw .malformed }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scalars.append(Unicode.Scalar(escape))
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    let unit = try hexUnit()
                    if (0xD800..<0xDC00).contains(unit) {
                        // A high surrogate must be followed by an escaped low one.
                        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                            throw .malformed
                        }
                        index += 2
                        let low = try hexUnit()
                        guard (0xDC00..<0xE000).contains(low),
                            let scalar = Unicode.Scalar(0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00))
                        else { throw .malformed }
                        scalars.append(scalar)
                    } else {
                        guard let scalar = Unicode.Scalar(UInt32(unit)) else { throw .malformed }
                        scalars.append(scalar)
                    }
                default: throw .malformed
                }
                run = index
            }
            guard index < bytes.count else { throw .malformed }
            flush(upTo: index)
            index += 1
            return String(scalars)
        }

        /// Four hex digits of a `\\u` escape.
        mutating func hexUnit() throws(Problem) -> UInt16 {
            guard index + 4 <= bytes.count else { throw .malformed }
            var unit: UInt16 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw .malformed
                }
                unit = unit << 4 | UInt16(digit)
            }
            index += 4
            return unit
        }
    }
}
