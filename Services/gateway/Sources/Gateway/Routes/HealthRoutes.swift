import HTTPTypes
import Hummingbird
import NIOCore
import ServiceSupport
import WireProtocol
import WireTransport

/// `/health/live` (the gateway itself) and `/health/ready` (every backend and its dependencies).
struct HealthRoutes {
    let backends: Backends

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/health/live") { _, _ in
            JSONBody.response(.ok, #"{"status":"ok"}"#)
        }
        routes.on(.get, "/health/ready") { _, context in
            try await self.ready(context: context)
        }
        // Seed 001's overall health: the same answer as readiness.
        routes.on(.get, "/health") { _, context in
            try await self.ready(context: context)
        }
    }

    /// Ready when identity and at least one token instance are ready (and so PostgreSQL and
    /// Redis answer); the body lists every instance either way, and a 503 names what is down.
    func ready(context: GatewayRequestContext) async throws -> Response {
        async let identity = self.backends.identity.readiness(requestID: context.requestID)
        async let token = self.backends.token.readiness(requestID: context.requestID)
        let (identityInstances, tokenInstances) = await (identity, token)

        var down: [String] = []
        if !identityInstances.contains(where: \.isReady) {
            down.append("identity (\(Self.reason(identityInstances)))")
        }
        if !tokenInstances.contains(where: \.isReady) {
            down.append("token (\(Self.reason(tokenInstances)))")
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
        var headers = HTTPFields()
        headers[.cacheControl] = "no-store"
        if !down.isEmpty { headers[.retryAfter] = "1" }
        return JSONBody.response(down.isEmpty ? .ok : .serviceUnavailable, body, headers: headers)
    }

    /// What is wrong with a service none of whose instances is ready, in a few words.
    static func reason(_ instances: [BackendPool.InstanceReadiness]) -> String {
        guard !instances.isEmpty else { return "no instance configured" }
        var reasons: [String] = []
        for instance in instances {
            if let reply = instance.reply {
                for check in reply.checks where !check.ok {
                    let reason = "\(check.name) \(check.detail.isEmpty ? "down" : check.detail)"
                    if !reasons.contains(reason) { reasons.append(reason) }
                }
            } else if !reasons.contains("unreachable") {
                reasons.append("unreachable")
            }
        }
        return reasons.joined(separator: ", ")
    }

    static func write(_ instances: [BackendPool.InstanceReadiness], to body: inout ByteBuffer) {
        body.writeString("[")
        for (index, instance) in instances.enumerated() {
            if index > 0 { body.writeString(",") }
            body.writeString(#"{"address":"#)
            body.writeJSONString(instance.address.description)
            body.writeString(#","ready":"#)
            body.writeString(instance.isReady ? "true" : "false")
            if let reply = instance.reply {
                body.writeString(#","instance":"#)
                body.writeJSONString(reply.instance)
                body.writeString(#","checks":{"#)
                for (checkIndex, check) in reply.checks.enumerated() {
                    if checkIndex > 0 { body.writeString(",") }
                    body.writeJSONString(check.name)
                    body.writeString(":")
                    body.writeJSONString(check.ok ? "ok" : (check.detail.isEmpty ? "down" : check.detail))
                }
                body.writeString("}")
            } else {
                body.writeString(#","error":"#)
                body.writeJSONString(instance.error ?? "unreachable")
            }
            body.writeString("}")
        }
        body.writeString("]")
    }
}
