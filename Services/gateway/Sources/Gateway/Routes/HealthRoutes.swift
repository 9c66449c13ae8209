import ServiceRuntime
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import WireProtocol
import WireTransport

/// `/health/live` (the gateway itself) and `/health/ready` (every backend and its dependencies).
///
/// The routes are public, so they say only what is up: each service's instances with their
/// checks as `up` or `down`, and on 503 which service and check are down. Addresses, instance
/// names and error text go to the log. One probe of the backends serves every caller for a
/// second, so the routes cannot be used to load PostgreSQL and Redis.
struct HealthRoutes {
    let probe: ReadinessProbe

    init(backends: Backends, logger: Logger) {
        self.probe = ReadinessProbe(backends: backends, logger: logger)
    }

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/health/live") { _, _ in
            JSONBody.response(.ok, #"{"status":"ok"}"#)
        }
        routes.on(.get, "/health/ready") { _, context in
            await self.ready(context: context)
        }
        // Seed 001's overall health: the same answer as readiness.
        routes.on(.get, "/health") { _, context in
            await self.ready(context: context)
        }
    }

    /// Ready when identity and at least one token instance are ready (and so PostgreSQL and
    /// Redis answer); the body lists every instance either way, and a 503 names what is down.
    func ready(context: GatewayRequestContext) async -> Response {
        let report = await self.probe.report(requestID: context.requestID)
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        if !report.isReady { headers[.retryAfter] = "1" }
        return JSONBody.response(report.isReady ? .ok : .serviceUnavailable, report.body, headers: headers)
    }
}

/// Asks every backend instance whether it is ready, at most once a second whoever asks.
actor ReadinessProbe {
    /// What the public answer says, made once per probe.
    struct Report: Sendable {
        var isReady: Bool
        var body: ByteBuffer
    }

    let backends: Backends
    let logger: Logger
    /// How long one probe's answer is served.
    let lifetime: Duration
    private var last: (report: Report, at: ContinuousClock.Instant)?
    private var running: Task<Report, Never>?

    init(backends: Backends, logger: Logger, lifetime: Duration = .seconds(1)) {
        self.backends = backends
        self.logger = logger
        self.lifetime = lifetime
    }

    func report(requestID: String) async -> Report {
        if let last, ContinuousClock.now - last.at < self.lifetime { return last.report }
        if let running { return await running.value }
        let backends = self.backends
        let logger = self.logger
        let task = Task { await Self.probe(backends, requestID: requestID, logger: logger) }
        self.running = task
        let report = await task.value
        self.last = (report, ContinuousClock.now)
        self.running = nil
        return report
    }

    static func probe(_ backends: Backends, requestID: String, logger: Logger) async -> Report {
        async let identity = backends.identity.readiness(requestID: requestID)
        async let token = backends.token.readiness(requestID: requestID)
        let (identityInstances, tokenInstances) = await (identity, token)

        var down: [String] = []
        if !identityInstances.contains(where: \.isReady) {
            down.append("identity (\(Self.reason(identityInstances)))")
        }
        if !tokenInstances.contains(where: \.isReady) {
            down.append("token (\(Self.reason(tokenInstances)))")
        }
        for (service, instances) in [("identity", identityInstances), ("token", tokenInstances)] {
            for instance in instances where !instance.isReady {
                logger.warning(
                    "instance not ready",
                    metadata: ["service": "\(service)", "address": "\(instance.address)", "why": "\(Self.details(instance))"]
                )
            }
        }
        var body = ByteBuffer()
        body.writeString(#"{"status":"#)
        body.writeJSONString(down.isEmpty ? "ready" : "not ready")
        if !down.isEmpty {
            body.writeString(#","detail":"#)
            body.writeJSONString("not ready: " + down.joined(separator: "; "))
        }
        body.writeString(#","identity":"#)
        Self.write(identityInstances, to: &body)
        body.writeString(#","token":"#)
        Self.write(tokenInstances, to: &body)
        body.writeString("}")
        return Report(isReady: down.isEmpty, body: body)
    }

    /// What is wrong with a service none of whose instances is ready: the checks that failed, by
    /// name only.
    static func reason(_ instances: [BackendPool.InstanceReadiness]) -> String {
        guard !instances.isEmpty else { return "no instance configured" }
        var reasons: [String] = []
        for instance in instances {
            if let reply = instance.reply {
                for check in reply.checks where !check.ok && !reasons.contains("\(check.name) down") {
                    reasons.append("\(check.name) down")
                }
            } else if !reasons.contains("unreachable") {
                reasons.append("unreachable")
            }
        }
        return reasons.joined(separator: ", ")
    }

    /// Everything known about an instance that is not ready, for the log.
    static func details(_ instance: BackendPool.InstanceReadiness) -> String {
        guard let reply = instance.reply else { return instance.error ?? "unreachable" }
        let failed = reply.checks.filter { !$0.ok }.map { "\($0.name): \($0.detail.isEmpty ? "down" : $0.detail)" }
        return "\(reply.instance) " + failed.joined(separator: "; ")
    }

    static func write(_ instances: [BackendPool.InstanceReadiness], to body: inout ByteBuffer) {
        body.writeString("[")
        for (index, instance) in instances.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(#"{"ready":"#)
            body.writeString(instance.isReady ? "true" : "false")
            if let reply = instance.reply {
                body.writeString(#","checks":{"#)
                for (checkIndex, check) in reply.checks.enumerated() {
                    if checkIndex > 0 { body.writeString(",") }
                    body.writeJSONString(check.name)
                    body.writeString(check.ok ? #":"up""# : #":"down""#)
                }
                body.writeString("}")
            }
            body.writeString("}")
        }
        body.writeString("]")
    }
}
