import HTTPTypes
public import Hummingbird
import Logging
import Tracing
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
        let offered = request.headers[.traceparent].flatMap { value in
            try? TraceContext(traceParentHeaderValue: value, traceStateHeaderValue: request.headers[.tracestate])
        }
        let own = TraceContext(
            traceID: offered?.traceID ?? .random(),
            spanID: .random(),
            flags: offered?.flags ?? [],
            state: offered?.state ?? TraceState()
        )
        let traceparent = own.traceParentHeaderValue
        var context = context
        context.logger[metadataKey: "trace_id"] = "\(own.traceID)"
        var serviceContext = ServiceContext.current ?? .topLevel
        TraceParent.incoming(traceparent, into: &serviceContext)
        var response = try await ServiceContext.withValue(serviceContext) {
            try await next(request, context)
        }
        response.headers[.traceparent] = traceparent
        if let state = own.traceStateHeaderValue { response.headers[.tracestate] = state }
        return response
    }
}

extension HTTPField.Name {
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!
}
