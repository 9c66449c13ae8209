public import NIOCore

extension ByteBuffer {
    /// Writes `text` as a JSON string literal, escaping what RFC 8259 requires.
    ///
    /// Text with nothing to escape (names, emails, tokens, dates: nearly all of it) is copied in
    /// one write; otherwise the runs between escapes are.
    public mutating func writeJSONString(_ text: String) {
        self.writeInteger(UInt8(ascii: "\""))
        let utf8 = text.utf8
        var run = utf8.startIndex
        var index = run
        while index != utf8.endIndex {
            let byte = utf8[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                utf8.formIndex(after: &index)
                continue
            }
            self.writeBytes(utf8[run..<index])
            switch byte {
            case UInt8(ascii: "\""): self.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
            case 0x0A: self.writeStaticString("\\n")
            case 0x0D: self.writeStaticString("\\r")
            case 0x09: self.writeStaticString("\\t")
            default:
                let hex: StaticString = "0123456789abcdef"
                self.writeStaticString("\\u00")
                hex.withUTF8Buffer { digits in
                    self.writeInteger(digits[Int(byte >> 4)])
                    self.writeInteger(digits[Int(byte & 0x0F)])
                }
            }
            utf8.formIndex(after: &index)
            run = index
        }
        self.writeBytes(utf8[run..<index])
        self.writeInteger(UInt8(ascii: "\""))
    }
}
