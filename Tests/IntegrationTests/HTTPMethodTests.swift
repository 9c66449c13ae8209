import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// Methods no route can have, over h2c, where a client may send any token as the method: each is
/// refused with 501 and none becomes a metric label, so they cannot grow the gateway's memory.
@Suite("Unknown HTTP methods through the real stack")
struct HTTPMethodTests {
    /// Sends each of `methods` to `url` over h2c with nghttp (nghttp2's client, which sends the
    /// method as given), one connection each, from one shell loop; each answer's status on a line.
    static func send(_ methods: [String], to url: String) async throws -> [String] {
        let script = #"""
            url=$1; shift
            for method in "$@"; do
              nghttp -n -s -H ":method: $method" "$url" 2>&1 | awk '$1 ~ /^[0-9]+$/ && NF >= 6 { code = $5 } END { print (code == "" ? "none" : code) }'
            done
            """#
        let result = try await ChildProcess.run(
            "/bin/bash",
            ["-c", script, "send", url] + methods,
            environment: ["PATH": "/usr/bin:/bin"],
            timeout: .seconds(180)
        )
        return result.output.split(separator: "\n").map(String.init)
    }

    /// The gateway's resident memory, KiB.
    static func residentKiB(_ process: ChildProcess) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    @Test func aThousandMadeUpMethodsAreRefusedAndNeverLabelled() async throws {
        let stack = try await Stack(tokenInstances: 1, overrides: ["METRICS_PORT": "0"])
        try await stack.waitUntilReady()
        let metricsURL = "http://127.0.0.1:\(try await Stack.boundPort(of: stack.gateway, marker: "metrics on"))/metrics"
        let url = stack.baseURL + "/api/v1/users/me"

        // As many ordinary requests first, so the allocator's growth from serving is behind us.
        let warmUp = try await Self.send(Array(repeating: "GET", count: 1000), to: url)
        #expect(warmUp.count == 1000 && warmUp.allSatisfy { $0 == "401" }, "\(Set(warmUp))")
        let before = Self.residentKiB(stack.gateway)

        let methods = (0..<1000).map { "MADEUP\($0)" }
        let answers = try await Self.send(methods, to: url)
        #expect(answers.count == 1000 && answers.allSatisfy { $0 == "501" }, "\(Set(answers))")
        let after = Self.residentKiB(stack.gateway)
        #expect(after - before < 2048, "the gateway grew from \(before) KiB to \(after) KiB")

        let samples = try await MetricsTests.scrape(metricsURL)
        #expect(!samples.keys.contains { $0.contains("MADEUP") }, "a made-up method became a label")
        #expect(MetricsTests.total(samples, "hb_requests", ["http_request_method": "other", "http_response_status_code": "501"]) == 1000)
        let methodLabels = Set(
            samples.keys.filter { $0.hasPrefix("http_server_active_requests{") }.compactMap { key in
                key.range(of: #"http_request_method=""#).map { key[$0.upperBound...].prefix { $0 != "\"" } }.map(String.init)
            }
        )
        #expect(methodLabels.isSubset(of: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"]), "\(methodLabels)")
        // A known method the route lacks is still 405 with Allow.
        let wrong = try await HTTP.send(.PATCH, url)
        #expect(wrong.status == 405)
        #expect(wrong.headers.first(name: "allow")?.contains("GET") == true)
        _ = await stack.stop()
    }
}
