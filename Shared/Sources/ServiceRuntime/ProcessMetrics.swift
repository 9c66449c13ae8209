public import CoreMetrics
public import Prometheus
import Synchronization

/// The process's metrics: swift-metrics backed by one Prometheus registry.
///
/// Components record through the swift-metrics API (`Counter`, `Timer`, `Gauge`), which costs
/// nothing until ``bootstrap()`` runs; each executable bootstraps once when it starts serving.
/// ``exposition()`` renders what was recorded in the Prometheus text format: the gateway serves
/// its own on `/metrics`, and identity and token answer it over the `metrics` frame operation.
///
/// ```swift
/// ProcessMetrics.bootstrap()
/// Counter(label: "refresh_rotations_total", dimensions: [("outcome", "rotated")]).increment()
/// let text = ProcessMetrics.exposition()
/// ```
public enum ProcessMetrics {
    private static let registry = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Bootstraps swift-metrics with a Prometheus registry; later calls do nothing.
    public static func bootstrap() {
        let registry: PrometheusCollectorRegistry? = Self.registry.withLock { current in
            guard current == nil else { return nil }
            let registry = PrometheusCollectorRegistry()
            current = registry
            return registry
        }
        guard let registry else { return }
        var factory = PrometheusMetricsFactory(registry: registry)
        // Frame round trips and Redis commands take well under a millisecond: finer low buckets.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .microseconds(2500),
            .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
            .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        // Dotted names (Hummingbird's `http.server.request.duration`) become Prometheus names.
        factory.nameAndLabelSanitizer = { name, labels in
            (Self.prometheusName(name), labels.map { (Self.prometheusName($0.0), $0.1) })
        }
        MetricsSystem.bootstrap(factory)
    }

    /// Everything recorded so far in the Prometheus text format (empty before ``bootstrap()``).
    public static func exposition() -> String {
        Self.registry.withLock { $0 }?.emitToString() ?? ""
    }

    /// `name` with every character Prometheus does not allow in a name turned into `_`.
    static func prometheusName(_ name: String) -> String {
        String(
            decoding: name.utf8.map { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "_"):
                    return byte
                default:
                    return UInt8(ascii: "_")
                }
            },
            as: UTF8.self
        )
    }
}
