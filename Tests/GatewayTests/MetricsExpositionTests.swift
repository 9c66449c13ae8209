@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceConfiguration
import Testing

/// Joining the processes' Prometheus texts into one scrape, and where `/metrics` is served.
@Suite("Metrics exposition")
struct MetricsExpositionTests {
    static let token = """
        # TYPE wire_server_requests_total counter
        wire_server_requests_total{operation="refreshTokens",status="ok"} 3
        # TYPE redis_command_duration_seconds histogram
        redis_command_duration_seconds_bucket{le="0.001"} 2
        redis_command_duration_seconds_bucket{le="+Inf"} 3
        redis_command_duration_seconds_sum 0.004
        redis_command_duration_seconds_count 3
        """

    @Test func twoInstancesShareEachFamilyOnceWithTheirLabels() {
        var exposition = MetricsExposition()
        exposition.add(Self.token, labels: [("service", "token"), ("instance", "unix:/run/a.sock")])
        exposition.add(Self.token, labels: [("service", "token"), ("instance", "unix:/run/b.sock")])
        let lines = exposition.text.split(separator: "\n")
        #expect(lines.filter { $0 == "# TYPE wire_server_requests_total counter" }.count == 1)
        #expect(lines.filter { $0 == "# TYPE redis_command_duration_seconds histogram" }.count == 1)
        #expect(lines.contains(#"wire_server_requests_total{service="token",instance="unix:/run/b.sock",operation="refreshTokens",status="ok"} 3"#))
        #expect(lines.contains(#"redis_command_duration_seconds_sum{service="token",instance="unix:/run/a.sock"} 0.004"#))
        // A family's samples stay together, right after its TYPE line.
        let type = lines.firstIndex(of: "# TYPE redis_command_duration_seconds histogram")!
        #expect(lines[(type + 1)...].prefix(8).allSatisfy { $0.hasPrefix("redis_command_duration_seconds_") })
    }

    @Test func aLabelTheSampleHasIsNotAddedTwice() {
        var exposition = MetricsExposition()
        exposition.add("a{service=\"x\",state=\"up\"} 1\nb{state=\"up\",service=\"y\"} 2\n", labels: [("service", "gateway"), ("instance", "i")])
        #expect(exposition.text == "a{instance=\"i\",service=\"x\",state=\"up\"} 1\nb{instance=\"i\",state=\"up\",service=\"y\"} 2\n")
    }

    @Test func labelValuesAreEscaped() {
        var exposition = MetricsExposition()
        exposition.add("up 1\n", labels: [("instance", "a\"b\\c\nd")])
        #expect(exposition.text == #"up{instance="a\"b\\c\nd"} 1"# + "\n")
    }

    @Test func emptyLabelSetsAndNoLabels() {
        var exposition = MetricsExposition()
        exposition.add("# TYPE x gauge\nx{} 2\n", labels: [("service", "gateway")])
        exposition.add("# TYPE y gauge\ny 1\n", labels: [])
        #expect(exposition.text == "# TYPE x gauge\nx{service=\"gateway\"} 2\n# TYPE y gauge\ny 1\n")
    }

    @Test func servedOnThePublicPortOnlyWhenAskedTo() async throws {
        try await RouteTests.withGateway(["METRICS_PUBLIC": "true"]) { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == MetricsRoutes.contentType)
            let body = String(buffer: response.body)
            #expect(body.contains(#"auth_metrics_scrape_up{instance="in-process",service="identity"} 1"#))
            #expect(body.contains(#"auth_metrics_scrape_up{instance="in-process",service="token"} 1"#))
        }
        try await RouteTests.withGateway { client in
            let response = try await client.execute(uri: "/metrics", method: .get)
            #expect(response.status == .notFound)
        }
    }

    @Test func metricsSettingsAreChecked() throws {
        #expect(try RouteTests.configuration().metricsPort == nil)
        #expect(try RouteTests.configuration(["METRICS_PORT": "9464"]).metricsPort == 9464)
        #expect(try RouteTests.configuration(["METRICS_PORT": "9464", "HOST": "0.0.0.0"]).metricsHost == "0.0.0.0")
        #expect(try RouteTests.configuration(["METRICS_PORT": "9464", "METRICS_HOST": "10.0.0.5"]).metricsHost == "10.0.0.5")
        for (variable, value) in [("METRICS_PORT", "nine"), ("METRICS_PORT", "70000"), ("METRICS_PUBLIC", "maybe")] {
            #expect(throws: ConfigurationError.self) { try RouteTests.configuration([variable: value]) }
            do {
                _ = try RouteTests.configuration([variable: value])
            } catch {
                #expect("\(error)".contains(variable))
            }
        }
        #expect(performing: { try RouteTests.configuration(["PORT": "8000", "METRICS_PORT": "8000"]) }, throws: { "\($0)".contains("METRICS_PORT") })
    }
}
