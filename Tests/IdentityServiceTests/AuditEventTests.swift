import Foundation
import NIOCore
import Testing
@testable import IdentityService

@Suite("Audit events")
struct AuditEventTests {
    @Test func theBatchRowIsJSONWhateverTheClientSent() throws {
        let event = AuditEvent(
            .loginFailure,
            username: "eve\"\\\u{1}",
            ip: "192.0.2.1",
            userAgent: "curl/8 \"quoted\"\n",
            requestID: "abc",
            detail: ["reason": "wrong password"],
            occurredAt: 1_800_000_000.5
        )
        var buffer = ByteBuffer()
        event.writeJSON(to: &buffer)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
        #expect(object["username"] as? String == "eve\"\\\u{1}")
        #expect(object["user_agent"] as? String == "curl/8 \"quoted\"\n")
        #expect(object["user_id"] == nil)
        #expect(object["at"] as? Double == 1_800_000_000.5)
        #expect((object["detail"] as? [String: String]) == ["reason": "wrong password"])
    }
}
