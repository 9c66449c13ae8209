/// Recovery codes: 12 characters of a 32-letter alphabet without look-alikes (60 random bits),
/// shown as `xxxx-xxxx-xxxx`. Typed back in any case, with or without the dashes and spaces.
public enum RecoveryCode {
    public static let count = 10
    static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)
    static let length = 12

    /// A new code, grouped for reading.
    static func generate() -> String {
        // 5 bits per character from each random byte's low bits: the alphabet has 32 letters, so
        // every letter is equally likely.
        let letters = Sodium.randomBytes(Self.length).map { Self.alphabet[Int($0 & 0x1F)] }
        let text = String(decoding: letters, as: UTF8.self)
        return [0, 4, 8].map { start in
            String(text.dropFirst(start).prefix(4))
        }.joined(separator: "-")
    }

    /// The code as stored: lower case, without separators; `nil` when it cannot be one.
    static func normalized(_ typed: String) -> String? {
        let letters = typed.lowercased().utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") }
        guard letters.count == Self.length, letters.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        return String(decoding: letters, as: UTF8.self)
    }
}
