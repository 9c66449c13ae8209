import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceConfiguration
import Synchronization
import Testing
import WireProtocol
import WireTesting
import WireTransport

@Suite("Health routes")
struct HealthRoutesTests {
    static func configuration() throws -> GatewayConfiguration {
        try GatewayConfiguration(
            environment: EnvironmentReader(["PORT": "0", "IDENTITY_SOCKET": "/tmp/none-identity.sock", "TOKEN_SOCKETS": "/tmp/none-token.sock"])
        )
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
                    // a correct 503; ask again once the answer's second has passed.
                    var body = ""
                    for attempt in 0..<5 where !body.contains(#""status":"ready""#) {
                        if attempt > 0 { try await Task.sleep(for: .milliseconds(1100)) }
                        body = try await client.execute(uri: "/health/ready", method: .get) { String(buffer: $0.body) }
                    }
                    #expect(body.contains(#""status":"ready""#), "\(body)")
                }
            }
        }
    }

    @Test func thePublicAnswerNamesNothingInternalAndIsProbedOnceASecond() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let calls = Atomic<Int>(0)
        let dispatcher = OperationDispatcher(ready: { _ in
            calls.add(1, ordering: .relaxed)
            var reply = WireReadyReply()
            reply.instance = "token/4242"
            var check = WireDependencyCheck()
            check.name = "redis"
            check.ok = false
            check.detail = "connection refused by 10.1.2.3:6379"
            reply.checks = [check]
            return reply
        })
        try await withWireServer(dispatcher: .alwaysReady(instance: "identity/7")) { identity, _ in
            try await withWireServer(dispatcher: dispatcher) { token, _ in
                let backends = Self.backends(identity: [identity], token: [token])
                let app = buildApplication(configuration: try Self.configuration(), backends: backends, logger: Logger(label: "test"))
                try await app.test(.router) { client in
                    // The first probe may find an instance not answering yet under load; ask again
                    // once its second has passed.
                    var body = ""
                    for attempt in 0..<5 where !body.contains("redis down") {
                        if attempt > 0 { try await Task.sleep(for: .milliseconds(1100)) }
                        body = try await client.execute(uri: "/health/ready", method: .get) { String(buffer: $0.body) }
                    }
                    #expect(body.contains("redis down"), "\(body)")
                    let probes = calls.load(ordering: .relaxed)
                    let started = ContinuousClock.now
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<20 {
                            group.addTask {
                                try await client.execute(uri: "/health/ready", method: .get) { response in
                                    let body = String(buffer: response.body)
                                    #expect(response.status == .serviceUnavailable)
                                    for secret in ["10.1.2.3", "connection refused", "token/4242", "identity/7", "unix:", directory.path] {
                                        #expect(!body.contains(secret), "the public answer shows \(secret): \(body)")
                                    }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                    // One probe serves a second: twenty asks at once cause at most one more, plus
                    // one per second they took on a machine too loaded to answer them at once.
                    let seconds = Int((ContinuousClock.now - started).components.seconds)
                    #expect(calls.load(ordering: .relaxed) - probes <= 1 + seconds, "twenty asks at once, at most one more probe a second")
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
                #expect(
                    replaced.utf8.count == 32 && replaced.utf8.allSatisfy { Array("0123456789abcdef".utf8).contains($0) },
                    "an insane id is replaced: \(replaced)"
                )
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
