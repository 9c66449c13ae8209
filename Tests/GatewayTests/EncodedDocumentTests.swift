import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

@testable import Gateway

@Suite("The OpenAPI document, encoded on first use")
struct EncodedDocumentTests {
    struct Broken: Error {}

    @Test func itIsEncodedOnceAndKept() {
        let encodings = Atomic<Int>(0)
        let document = EncodedDocument(logger: Logger(label: "test")) {
            encodings.add(1, ordering: .relaxed)
            return Data("{}".utf8)
        }
        #expect(encodings.load(ordering: .relaxed) == 0)
        #expect(document.bytes.map { String(buffer: $0) } == "{}")
        #expect(document.bytes.map { String(buffer: $0) } == "{}")
        #expect(encodings.load(ordering: .relaxed) == 1)
    }

    @Test func aDocumentThatDoesNotEncodeIsNone() {
        let document = EncodedDocument(logger: Logger(label: "test")) { throw Broken() }
        #expect(document.bytes == nil)
    }
}
