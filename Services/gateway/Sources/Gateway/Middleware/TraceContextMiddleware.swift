import HTTPTypes
public import Hummingbird
import Logging
import Tracing
import ServiceRuntime
import W3CTraceContext
import WireTransport

/// Gives each request a W3C trace context: the client's `traceparent` (and `tracestate`) when
/// it is valid, a new trace otherwise, with a span id of the gateway's own.
///
/// The gateway's `traceparent` goes back in the response, its trace id into every log line
/// (`trace_id`), and the context into every frame sent for the request (``TraceParent``), so the
/// backends log the same trace id. A tracer a deployment bootstraps continues the trace instead.
public struct TraceContextMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let traceparent: String
        let traceID: Substring
        var tracestate: String?
        if let value = request.headers[.traceparent],
            let offered = try? TraceContext(traceParentHeaderValue: value, traceStateHeaderValue: request.headers[.tracestate])
        {
            // The client's trace, continued under a span id of ours.
            let own = TraceContext(traceID: offered.traceID, spanID: SpanID(bytes: Self.spanIDBytes()), flags: offered.flags, state: offered.state)
            traceparent = own.traceParentHeaderValue
            tracestate = own.traceStateHeaderValue
        } else {
            traceparent = Self.newTraceParent()
        }
        // `00-<32 hex trace id>-<16 hex span id>-<flags>`, as both forms above write it.
        traceID = traceparent.dropFirst(3).prefix(32)
        var context = context
        context.logger[metadataKey: "trace_id"] = .string(String(traceID))
        var serviceContext = ServiceContext.current ?? .topLevel
        TraceParent.incoming(traceparent, into: &serviceContext)
        var response = try await ServiceContext.withValue(serviceContext) {
            try await next(request, context)
        }
        response.headers[.traceparent] = traceparent
        if let tracestate { response.headers[.tracestate] = tracestate }
        return response
    }

    static func spanIDBytes() -> SpanID.Bytes {
        var bytes: SpanID.Bytes = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { $0.storeBytes(of: CorrelationID.next(), as: UInt64.self) }
        return bytes
    }

    /// A new trace: a trace id and a span id from ``CorrelationID``, not sampled.
    static func newTraceParent() -> String {
        CorrelationID.traceParent()
    }
}

extension HTTPField.Name {
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!
}
