import ServiceRuntime
public import NIOCore

extension ByteBuffer {
    /// Writes `text` as a JSON string literal, escaping what RFC 8259 requires.
    public mutating func writeJSONString(_ text: String) {
        self.writeInteger(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): self.writeStaticString("\\\\")
            case 0x0A: self.writeStaticString("\\n")
            case 0x0D: self.writeStaticString("\\r")
            case 0x09: self.writeStaticString("\\t")
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                self.writeStaticString("\\u00")
                self.writeInteger(hex[Int(byte >> 4)])
                self.writeInteger(hex[Int(byte & 0x0F)])
            default: self.writeInteger(byte)
            }
        }
        self.writeInteger(UInt8(ascii: "\""))
    }
}
