import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// Prometheus metrics through the real stack: the gateway's `/metrics` listener (`METRICS_PORT`)
/// with its own metrics and every backend instance's, checked by Prometheus's own Python parser
/// and by counters that move with what the test does.
@Suite("Prometheus metrics through the real stack")
struct MetricsTests {
    /// One scrape: every sample as `name{labels}` → value, after Prometheus's parser accepted it.
    static func scrape(_ url: String) async throws -> [String: Double] {
        let reply = try await HTTP.get(url)
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "content-type")?.hasPrefix("text/plain; version=0.0.4") == true)
        try await Self.validate(reply.body)
        var samples: [String: Double] = [:]
        for line in reply.body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            let key = String(line[..<space])
            let names = Self.labelName.matches(in: key, range: NSRange(key.startIndex..., in: key)).compactMap {
                Range($0.range(at: 1), in: key).map { String(key[$0]) }
            }
            #expect(Set(names).count == names.count, "a label appears twice: \(key)")
            samples[key] = value
        }
        return samples
    }

    /// A label's name in a sample, before its quoted value.
    static let labelName = try! NSRegularExpression(pattern: #"[{,]([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*""#)

    /// Parses `text` with prometheus_client's parser (the reference implementation's own), which
    /// refuses malformed lines, and checks that no family is announced twice.
    static func validate(_ text: String) async throws {
        guard let python = ProcessInfo.processInfo.environment["PROMETHEUS_PARSER_PYTHON"] else {
            Issue.record("PROMETHEUS_PARSER_PYTHON is not set (make test sets it)")
            return
        }
        let directory = TemporaryDirectory(prefix: "metrics")
        defer { directory.remove() }
        try text.write(toFile: directory.appending("metrics.txt"), atomically: true, encoding: .utf8)
        let script = """
            import sys
            from prometheus_client.parser import text_string_to_metric_families
            text = open(sys.argv[1]).read()
            families = list(text_string_to_metric_families(text))
            types = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
            assert len(types) == len(set(types)), "a family announced twice"
            print(len(families), sum(len(f.samples) for f in families))
            """
        let result = try await ChildProcess.run(python, ["-c", script, directory.appending("metrics.txt")], environment: [:])
        #expect(result.status == 0, "prometheus_client refused the exposition: \(result.output.suffix(2000))")
    }

    /// The sum of the samples named `name` whose labels include every one of `labels`.
    static func total(_ samples: [String: Double], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { key, _ in
            guard key == name || key.hasPrefix(name + "{") else { return false }
            return labels.allSatisfy { key.contains("\($0.key)=\"\($0.value)\"") }
        }.values.reduce(0, +)
    }

    @Test func theMetricsListenerShowsEveryProcessAndCountersMove() async throws {
        let stack = try await Stack(
            tokenInstances: 2,
            overrides: ["METRICS_PORT": "0", "RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_LOGIN": "100/minute", "MAX_LOGIN_ATTEMPTS": "3"]
        )
        try await stack.waitUntilReady()
        let metricsURL = "http://127.0.0.1:\(try await Stack.boundPort(of: stack.gateway, marker: "metrics on"))/metrics"
        let api = APIClient(base: stack.baseURL)

        // What the counters below should show: a login, a refresh, a reused refresh token (theft
        // detected), wrong passwords up to a lockout.
        let name = SeedFlowTests.unique("metrics")
        try await api.register(name)
        let session = try await api.tokens(name)
        #expect(try await api.me(bearer: session.access).status == 200)
        let rotated = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        #expect(rotated.status == 200)
        let reused = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": session.refresh])
        #expect(reused.status == 401)
        let locked = SeedFlowTests.unique("metrics_locked")
        try await api.register(locked)
        for _ in 0..<3 { _ = try await api.token(locked, password: "WrongPass123") }
        // Reuse ended the first session; this one is for the last request.
        let fresh = try await api.tokens(name)

        let before = try await Self.scrape(metricsURL)
        // The gateway: requests by route and status, with their latency.
        #expect(
            Self.total(before, "hb_requests", ["http_route": "/api/v1/auth/token", "http_response_status_code": "200", "service": "gateway"]) >= 1
        )
        #expect(Self.total(before, "http_server_request_duration_bucket", ["http_route": "/api/v1/users/me", "le": "+Inf"]) >= 1)
        // Frame round trips by operation and outcome, and the instances.
        #expect(Self.total(before, "backend_requests_total", ["backend": "identity", "operation": "verifyCredentials", "outcome": "ok"]) >= 1)
        #expect(Self.total(before, "backend_requests_total", ["backend": "token", "operation": "refreshTokens", "outcome": "ok"]) >= 1)
        #expect(Self.total(before, "backend_request_duration_seconds_count", ["backend": "token"]) >= 3)
        #expect(Self.total(before, "backend_instances", ["backend": "token", "state": "up"]) == 2)
        #expect(Self.total(before, "auth_metrics_scrape_up", ["service": "token"]) == 2)
        #expect(Self.total(before, "auth_metrics_scrape_up", ["service": "identity"]) == 1)
        // The backends' own metrics, each sample naming its instance.
        #expect(Self.total(before, "wire_server_requests_total", ["service": "token", "operation": "verifyAccessToken", "status": "ok"]) >= 1)
        #expect(
            before.keys.contains {
                $0.hasPrefix("wire_server_requests_total{") && $0.contains("service=\"token\"") && $0.contains("instance=\"unix:")
            }
        )
        #expect(Self.total(before, "refresh_rotations_total", ["outcome": "rotated"]) >= 1)
        #expect(Self.total(before, "refresh_rotations_total", ["outcome": "reused"]) >= 1)
        #expect(Self.total(before, "rate_limit_decisions_total", ["rule": "login", "outcome": "allowed"]) >= 1)
        #expect(Self.total(before, "redis_commands_total", ["outcome": "ok"]) >= 1)
        #expect(Self.total(before, "audit_events_total", ["kind": "account_locked"]) >= 1)
        #expect(Self.total(before, "audit_events_total", ["kind": "token_reuse_detected"]) >= 1)
        #expect(Self.total(before, "blocking_pool_wait_seconds_count", ["pool": "password_hashing"]) >= 6)
        #expect(Self.total(before, "connection_pool_work_seconds_count", ["pool": "postgres"]) >= 1)
        #expect(before.keys.contains { $0.hasPrefix("work_queue_dropped_total{") && $0.contains("queue=\"audit\"") })
        #expect(Self.total(before, "work_queue_dropped_total", ["queue": "audit"]) == 0)

        // One more authenticated request: its counters move by exactly what it did.
        #expect(try await api.me(bearer: fresh.access).status == 200)
        let after = try await Self.scrape(metricsURL)
        let route = ["http_route": "/api/v1/users/me", "http_response_status_code": "200"]
        #expect(Self.total(after, "hb_requests", route) == Self.total(before, "hb_requests", route) + 1)
        let verify = ["backend": "token", "operation": "verifyAccessToken", "outcome": "ok"]
        #expect(Self.total(after, "backend_requests_total", verify) == Self.total(before, "backend_requests_total", verify) + 1)

        // Not on the public port unless METRICS_PUBLIC says so.
        #expect(try await HTTP.get(stack.baseURL + "/metrics").status == 404)
        _ = await stack.stop()
    }
}
