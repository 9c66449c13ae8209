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

        /// A string's raw contents (escapes kept: two keys differing only in escaping are
        /// compared as written, which errs on the side of refusing).
        mutating func string() throws(Problem) -> String {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw .malformed }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                index += 1
            }
            guard index < bytes.count else { throw .malformed }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            index += 1
            return text
        }
    }
}
