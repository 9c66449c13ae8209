import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// The W3C trace context through the real stack: the client's trace id comes back in the
/// gateway's `traceparent` and appears in the log lines of the gateway, identity and token for
/// that request, carried in the frames between them.
@Suite("Trace context through the real stack")
struct TraceContextStackTests {
    @Test func theClientsTraceIDReachesEveryProcessLog() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["LOG_LEVEL": "debug"])
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("trace")
        try await api.register(name)
        let session = try await api.tokens(name)

        let traceID = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let offered = "00-\(traceID)-00f067aa0ba902b7-01"
        let reply = try await HTTP.get(
            stack.baseURL + "/api/v1/users/me",
            headers: [("Authorization", "Bearer \(session.access)"), ("traceparent", offered)]
        )
        #expect(reply.status == 200)
        let returned = reply.headers.first(name: "traceparent") ?? ""
        #expect(returned.hasPrefix("00-\(traceID)-") && returned.hasSuffix("-01") && !returned.contains("00f067aa0ba902b7"), "\(returned)")

        // The token service verified the token and identity read the user, each logging the trace id.
        try await waitUntil("the trace id in the backends' logs", within: .seconds(5)) {
            stack.tokens[0].log.contains("trace_id=\(traceID)") && stack.identities[0].log.contains("trace_id=\(traceID)")
        }
        #expect(stack.tokens[0].log.contains("trace_id=\(traceID)"))
        #expect(stack.identities[0].log.contains("trace_id=\(traceID)"))
        #expect(stack.gateway.log.contains("trace_id=\(traceID)"))
        _ = await stack.stop()
    }
}
