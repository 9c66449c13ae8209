@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import W3CTraceContext

/// The W3C trace context the gateway accepts, creates and returns.
@Suite("Trace context")
struct TraceContextTests {
    static let traceparent = HTTPField.Name("traceparent")!

    /// `version-traceid-spanid-flags`, each field of the right length and lowercase hex.
    static func fields(_ value: String?) -> [Substring]? {
        guard let value else { return nil }
        let fields = value.split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 4, fields.map(\.count) == [2, 32, 16, 2],
            fields.allSatisfy({ $0.allSatisfy { $0.isHexDigit && !$0.isUppercase } })
        else { return nil }
        return fields
    }

    @Test func theClientsTraceContinuesWithASpanOfTheGateways() async throws {
        let offered = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        try await RouteTests.withGateway { client in
            let response = try await client.execute(uri: "/health/live", method: .get, headers: [Self.traceparent: offered])
            let fields = try #require(Self.fields(response.headers[Self.traceparent]))
            #expect(fields[1] == "4bf92f3577b34da6a3ce929d0e0e4736")
            #expect(fields[2] != "00f067aa0ba902b7")
            #expect(fields[3] == "01")
        }
    }

    @Test func withoutOneOrWithAnInvalidOneANewTraceStarts() async throws {
        try await RouteTests.withGateway { client in
            var traces: Set<Substring> = []
            for offered in [
                nil, "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            ] {
                var headers = HTTPFields()
                if let offered { headers[Self.traceparent] = offered }
                let response = try await client.execute(uri: "/api/v1/users/me", method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                let fields = try #require(Self.fields(response.headers[Self.traceparent]), "\(offered ?? "none")")
                #expect(fields[1] != "4bf92f3577b34da6a3ce929d0e0e4736")
                #expect(fields[1] != "00000000000000000000000000000000")
                traces.insert(fields[1])
            }
            #expect(traces.count == 4)
        }
    }
}

@Suite("Correlation ids")
struct CorrelationIDTests {
    @Test func idsAreLowerCaseHexAndNeverRepeat() {
        var seen = Set<String>()
        for _ in 0..<100_000 { seen.insert(CorrelationID.hex(words: 2)) }
        #expect(seen.count == 100_000)
        #expect(seen.allSatisfy { $0.utf8.count == 32 && $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } })
        let traceparent = CorrelationID.traceParent()
        #expect(traceparent.hasPrefix("00-") && traceparent.hasSuffix("-00") && traceparent.utf8.count == 55)
        #expect((try? TraceContext(traceParentHeaderValue: traceparent)) != nil, "a valid W3C traceparent")
        let parents = (0..<10_000).map { _ in CorrelationID.traceParent() }
        #expect(Set(parents).count == parents.count && Set(parents.map { $0.dropFirst(3).prefix(32) }).count == parents.count)
    }
}
