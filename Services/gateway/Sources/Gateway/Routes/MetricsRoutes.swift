import HTTPTypes
import Hummingbird
import NIOCore
import ServiceRuntime

/// `GET /metrics`: the gateway's metrics and every backend instance's, in the Prometheus text
/// format, as one scrape.
///
/// The backends answer the `metrics` frame operation, all instances at once (a second at most);
/// each sample carries `service` and, for a backend, `instance` (its socket). An instance that
/// does not answer is left out and shows as `auth_metrics_scrape_up 0`. Served on its own
/// listener (`METRICS_PORT`), or on the public port only with `METRICS_PUBLIC=true`.
struct MetricsRoutes: Sendable {
    let backends: Backends

    /// The media type Prometheus asks for and reads.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func register(in routes: RouteRegistrar) {
        routes.on(.get, "/metrics") { _, context in
            await self.response(requestID: context.requestID)
        }
    }

    func response(requestID: String) async -> Response {
        let text = await self.exposition(requestID: requestID)
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func exposition(requestID: String) async -> String {
        async let identity = self.backends.identity.metrics(requestID: requestID)
        async let token = self.backends.token.metrics(requestID: requestID)
        let backends = await [("identity", identity), ("token", token)]
        var exposition = MetricsExposition()
        exposition.add(ProcessMetrics.exposition(), labels: [("service", "gateway")])
        var scrapes = "# HELP auth_metrics_scrape_up Whether a backend instance answered this scrape.\n"
        scrapes += "# TYPE auth_metrics_scrape_up gauge\n"
        for (service, instances) in backends {
            for instance in instances {
                if let text = instance.text {
                    exposition.add(text, labels: [("service", service), ("instance", instance.instance)])
                }
                scrapes += "auth_metrics_scrape_up{instance=\"\(MetricsExposition.escape(instance.instance))\","
                scrapes += "service=\"\(service)\"} \(instance.text == nil ? 0 : 1)\n"
            }
        }
        exposition.add(scrapes, labels: [])
        return exposition.text
    }
}
