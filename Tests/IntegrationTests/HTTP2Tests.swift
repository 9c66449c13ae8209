import Foundation
import Testing
import WireTesting

/// HTTP/2 and TLS through the real gateway, with independent clients: curl (HTTP/1.1, h2c with
/// prior knowledge, h2 over TLS by ALPN) and h2load (nghttp2) with many concurrent streams on one
/// connection.
@Suite("HTTP/2 and TLS through the real stack")
struct HTTP2Tests {
    /// `curl` with `arguments`: "<http version> <status>" of the answer, and its headers.
    static func curl(_ arguments: [String]) async throws -> (version: String, headers: String) {
        let directory = TemporaryDirectory(prefix: "curl")
        defer { directory.remove() }
        let result = try await ChildProcess.run(
            "/usr/bin/curl",
            ["-s", "-o", "/dev/null", "-D", directory.appending("headers"), "-w", "%{http_version} %{http_code}"] + arguments,
            environment: [:]
        )
        let headers = (try? String(contentsOfFile: directory.appending("headers"), encoding: .utf8)) ?? ""
        return (result.output.trimmingCharacters(in: .whitespacesAndNewlines), headers)
    }

    /// h2load's summary line: how many requests succeeded, failed and errored.
    static func h2load(_ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run("/usr/bin/h2load", arguments, environment: [:], timeout: .seconds(120))
        #expect(result.status == 0, "h2load: \(result.output.suffix(1500))")
        return result.output.split(separator: "\n").first { $0.hasPrefix("requests:") }.map(String.init) ?? result.output
    }

    @Test func clearTextServesHTTP1AndHTTP2WithPriorKnowledge() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("h2c")
        _ = try await api.register(name)
        let session = try await api.tokens(name)

        #expect(try await Self.curl([stack.baseURL + "/health/live"]).version == "1.1 200")
        #expect(try await Self.curl(["--http2-prior-knowledge", stack.baseURL + "/health/live"]).version == "2 200")
        let me = try await Self.curl(["--http2-prior-knowledge", "-H", "Authorization: Bearer \(session.access)", stack.baseURL + "/api/v1/users/me"])
        #expect(me.version == "2 200")
        #expect(me.headers.lowercased().contains("x-request-id:"))

        // Many streams at once on one connection, through both backends.
        let live = try await Self.h2load(["-n", "2000", "-c", "1", "-m", "64", stack.baseURL + "/health/live"])
        #expect(live.contains("2000 succeeded, 0 failed, 0 errored"), "\(live)")
        let authenticated = try await Self.h2load([
            "-n", "500", "-c", "2", "-m", "32", "-H", "Authorization: Bearer \(session.access)", stack.baseURL + "/api/v1/users/me",
        ])
        #expect(authenticated.contains("500 succeeded, 0 failed, 0 errored"), "\(authenticated)")
        // HTTP/1.1 still works after all that.
        #expect(try await api.me(bearer: session.access).status == 200)
        _ = await stack.stop()
    }

    @Test func tlsServesHTTP2ByALPNAndHTTP1WithStrictTransportSecurity() async throws {
        let keys = TemporaryDirectory(prefix: "tls")
        defer { keys.remove() }
        let made = try await ChildProcess.run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", keys.appending("key.pem"), "-out", keys.appending("cert.pem"),
            ],
            environment: [:]
        )
        #expect(made.status == 0, "\(made.output)")
        let stack = try await Stack(
            tokenInstances: 1,
            overrides: ["TLS_CERT_FILE": keys.appending("cert.pem"), "TLS_KEY_FILE": keys.appending("key.pem")]
        )
        let base = "https://127.0.0.1:\(stack.port)"
        let trust = ["--cacert", keys.appending("cert.pem")]
        try await waitUntil("the TLS gateway is ready", within: .seconds(30), interval: .milliseconds(100)) {
            try await Self.curl(trust + [base + "/health/ready"]).version.hasSuffix(" 200")
        }
        let h2 = try await Self.curl(trust + ["--http2", base + "/health/live"])
        #expect(h2.version == "2 200")
        #expect(h2.headers.lowercased().contains("strict-transport-security: max-age=63072000; includesubdomains"))
        #expect(try await Self.curl(trust + ["--http1.1", base + "/health/live"]).version == "1.1 200")
        // Clear text on the TLS port is refused, not served.
        #expect(try await Self.curl(["http://127.0.0.1:\(stack.port)/health/live"]).version != "1.1 200")
        let load = try await Self.h2load(["-n", "500", "-c", "2", "-m", "32", base + "/health/live"])
        #expect(load.contains("500 succeeded, 0 failed, 0 errored"), "\(load)")
        // Behind TLS without PUBLIC_URL, the discovery document names https.
        let discovery = try await ChildProcess.run(
            "/usr/bin/curl",
            ["-s", "--cacert", keys.appending("cert.pem"), base + "/.well-known/openid-configuration"],
            environment: [:]
        )
        #expect(discovery.output.contains("\"token_endpoint\":\"https://127.0.0.1:\(stack.port)/api/v1/auth/token\""), "\(discovery.output)")
        // TLS 1.2 only with ECDHE and AEAD (the certificate is ECDSA): CBC suites are refused.
        func handshake(_ arguments: [String]) async throws -> Bool {
            let result = try await ChildProcess.run(
                "/bin/sh",
                ["-c", "openssl s_client -connect 127.0.0.1:\(stack.port) -servername localhost \(arguments.joined(separator: " ")) </dev/null"],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            return result.status == 0 && result.output.contains("Cipher is") && !result.output.contains("Cipher is (NONE)")
        }
        #expect(try await handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]))
        #expect(try await handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"]))
        #expect(try await !handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"]), "CBC with SHA-1")
        #expect(try await !handshake(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"]), "CBC")
        #expect(try await handshake(["-tls1_3"]))
        _ = await stack.stop()
    }
}
