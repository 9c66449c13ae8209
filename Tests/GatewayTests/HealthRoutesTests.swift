import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceSupport
import Testing
import WireProtocol
import WireTesting
import WireTransport

@Suite("Health routes")
struct HealthRoutesTests {
    static func configuration() throws -> GatewayConfiguration {
        try GatewayConfiguration(environment: EnvironmentReader(["PORT": "0", "IDENTITY_SOCKET": "/tmp/none-identity.sock", "TOKEN_SOCKETS": "/tmp/none-token.sock"]))
    }

    static func backends(identity: [WireEndpointAddress], token: [WireEndpointAddress]) -> Backends {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return Backends(
            identity: BackendPool(service: "identity", addresses: identity, logger: logger),
            token: BackendPool(service: "token", addresses: token, logger: logger)
        )
    }

    @Test func liveNeedsNoBackendAndReadyNamesWhatIsDown() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let backends = Self.backends(identity: [.unix(path: directory.appending("i.sock"))], token: [.unix(path: directory.appending("t.sock"))])
        let app = buildApplication(configuration: try Self.configuration(), backends: backends, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health/live", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
            }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let json = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                let detail = json?["detail"] as? String ?? ""
                #expect(detail.contains("identity") && detail.contains("token"))
            }
        }
    }

    @Test func readyWhenEveryServiceHasAReadyInstance() async throws {
        try await withWireServer(dispatcher: .alwaysReady(instance: "identity/1")) { identity, _ in
            try await withWireServer(dispatcher: .alwaysReady(instance: "token/1")) { token, _ in
                let backends = Self.backends(identity: [identity], token: [token])
                let app = buildApplication(configuration: try Self.configuration(), backends: backends, logger: Logger(label: "test"))
                try await app.test(.router) { client in
                    // A probe may time out (1 s) while the whole suite loads both cores: that is
                    // a correct 503; ask again.
                    var body = ""
                    for _ in 0..<5 where !body.contains(#""status":"ready""#) {
                        body = try await client.execute(uri: "/health/ready", method: .get) { String(buffer: $0.body) }
                    }
                    #expect(body.contains(#""status":"ready""#), "\(body)")
                }
            }
        }
    }

    @Test func unknownPathAndWrongMethodAnswerJSON() async throws {
        let backends = Self.backends(identity: [], token: [])
        let app = buildApplication(configuration: try Self.configuration(), backends: backends, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body) == #"{"detail":"Not Found"}"#)
            }
            try await client.execute(uri: "/health/ready", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/health/live", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "abc-123"]) { response in
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "abc-123", "a sane id is kept")
            }
            try await client.execute(uri: "/health/live", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "bad id\u{7f}"]) { response in
                let replaced = response.headers[HTTPField.Name("X-Request-ID")!] ?? ""
                #expect(replaced.utf8.count == 32 && replaced.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) }, "an insane id is replaced: \(replaced)")
            }
            var made: Set<String> = []
            for _ in 0..<100 {
                try await client.execute(uri: "/health/live", method: .get) { response in
                    made.insert(response.headers[HTTPField.Name("X-Request-ID")!] ?? "")
                }
            }
            #expect(made.count == 100, "every new id differs")
        }
    }
}
