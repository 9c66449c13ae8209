import Foundation
import NIOCore
import ServiceRuntime
import Testing

@Suite("JSON string literals")
struct JSONStringTests {
    @Test(arguments: ["", "plain", "a\"b", "back\\slash", "line\nbreak\r\ttab", "\u{0}\u{1f}", "é 🔥 中文", "\"\\\"", "end\u{7}"])
    func whatIsWrittenReadsBackAsTheSameString(text: String) throws {
        var buffer = ByteBuffer()
        buffer.writeJSONString(text)
        let literal = String(buffer: buffer)
        let decoded = try JSONSerialization.jsonObject(with: Data(literal.utf8), options: [.fragmentsAllowed]) as? String
        #expect(decoded == text, "\(literal)")
        #expect(!literal.utf8.dropFirst().dropLast().contains { $0 < 0x20 }, "no raw control character")
    }

    @Test func commonEscapesAreTheShortOnes() {
        var buffer = ByteBuffer()
        buffer.writeJSONString("a\"b\\c\nd\u{1}")
        #expect(String(buffer: buffer) == #""a\"b\\c\nd\u0001""#)
    }
}
