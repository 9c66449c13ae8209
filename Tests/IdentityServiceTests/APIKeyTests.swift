import Foundation
import ServiceRuntime
import Testing
@testable import IdentityService

@Suite("API keys")
struct APIKeyTests {
    static let secret = Array("an-api-key-secret-of-at-least-32-characters".utf8)

    @Test func generatedKeysParseAndMatchOnlyTheirOwnDigest() throws {
        let key = APIKey.generate()
        #expect(key.value.hasPrefix(key.prefix + "_"))
        #expect(key.value.utf8.count == 84)
        let parsed = try #require(APIKey(parsing: key.value))
        #expect(parsed.prefix == key.prefix)
        let digest = key.digest(secret: Self.secret)
        #expect(parsed.matches(digest, secret: Self.secret))
        #expect(!APIKey.generate().matches(digest, secret: Self.secret))
        #expect(!parsed.matches(digest, secret: Array("another-secret-of-at-least-32-characters".utf8)), "the digest is keyed")
        #expect(APIKey.generate().prefix != key.prefix)
    }

    @Test(arguments: [
        "", "ak_", "garbage", "ak_0123456789abcdef-" + String(repeating: "0", count: 64), "ak_0123456789ABCDEF_" + String(repeating: "0", count: 64),
        "xx_0123456789abcdef_" + String(repeating: "0", count: 64), "ak_0123456789abcdef_" + String(repeating: "0", count: 65),
    ])
    func malformedKeysAreRefusedBeforeAnyQuery(text: String) {
        #expect(APIKey(parsing: text) == nil)
    }

    @Test func byteaHexRoundTrips() {
        let bytes: [UInt8] = [0, 1, 0xab, 0xff]
        #expect(APIKey.bytes(fromByteaHex: "\\x" + Hex.encode(bytes)) == bytes)
        #expect(APIKey.bytes(fromByteaHex: "00ff") == nil)
    }

    @Test func hexIsTwoLowerCaseDigitsPerByte() {
        let bytes = (0...255).map { UInt8($0) }
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
        #expect(Hex.encode([UInt8]()) == "")
    }
}
