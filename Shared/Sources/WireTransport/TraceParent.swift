public import Tracing
import W3CTraceContext

/// The W3C `traceparent` of the work in progress, kept in its `ServiceContext`, so that every
/// frame sent on its behalf carries it and every process logs its trace id.
///
/// The gateway sets it for each HTTP request (the client's trace, or a new one); a backend sets
/// it from the frame it serves. A tracer a deployment bootstraps (an OpenTelemetry exporter) sees
/// the same context through `InstrumentationSystem`, and its own `traceparent` then wins.
public enum TraceParent {
    private enum Key: ServiceContextKey {
        typealias Value = String
        static var nameOverride: String? { "traceparent" }
    }

    /// Whether an instrument or tracer is bootstrapped (`InstrumentationSystem.bootstrap`, before
    /// serving). Without one, spans are no-ops and nothing is injected or extracted: the processes
    /// then skip them and only carry the `traceparent` along, which spares every frame a span, a
    /// task-local binding, carrier dictionaries and the dynamic casts that look the tracer up.
    /// Read once.
    public static let instrumented: Bool = !(InstrumentationSystem.instrument is NoOpInstrument)

    /// The `traceparent` of the work in progress (the request's), empty for none: what a frame
    /// carries when no tracer is bootstrapped.
    public static var current: String { ServiceContext.current?[Key.self] ?? "" }

    /// The `traceparent` to send from `context`: the bootstrapped instrument's when it writes
    /// one, else the one the request came with; empty for none.
    public static func outgoing(from context: ServiceContext) -> String {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: HeaderInjector())
        return carrier["traceparent"] ?? context[Key.self] ?? ""
    }

    /// `context` with `traceparent` (and what the bootstrapped instrument reads from it).
    public static func incoming(_ traceparent: String, into context: inout ServiceContext) {
        guard !traceparent.isEmpty else { return }
        context[Key.self] = traceparent
        guard Self.instrumented else { return }
        InstrumentationSystem.instrument.extract(["traceparent": traceparent], into: &context, using: HeaderExtractor())
    }

    /// The trace id of a `traceparent`, for logs; `nil` when it is not valid W3C trace context.
    public static func traceID(of traceparent: String) -> String? {
        guard !traceparent.isEmpty, let context = try? TraceContext(traceParentHeaderValue: traceparent) else { return nil }
        return "\(context.traceID)"
    }

    private struct HeaderInjector: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
            carrier[key] = value
        }
    }

    private struct HeaderExtractor: Extractor {
        func extract(key: String, from carrier: [String: String]) -> String? {
            carrier[key]
        }
    }
}
