import HTTPTypes
public import Hummingbird
import Logging
import ServiceRuntime
import Tracing
import W3CTraceContext
import WireTransport

/// Fills in what the gateway's context knows of a request before any route sees it: its id, its
/// trace context and how to find its client's address.
///
/// - The id is the client's `X-Request-ID` when it is sane, a new one otherwise.
/// - The trace context is the client's `traceparent` (and `tracestate`) when valid, continued
///   under a span id of the gateway's own, or a new trace otherwise.
///
/// Both go back in the response and into every log line (`request_id`, `trace_id`), and on to the
/// backends in every frame sent for the request (``TraceParent``), so every process logs the same
/// ids; a tracer a deployment bootstraps continues the trace instead. One middleware does all of
/// it because each step in the chain costs every request, `/health/live` included.
public struct RequestContextMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let clientAddress: ClientAddress

    public init(trustedProxies: Set<String>) {
        self.clientAddress = ClientAddress(trustedProxies: trustedProxies)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[.requestID].flatMap { Self.isSane($0) ? $0 : nil } ?? Self.makeRequestID()
        context.requestID = id
        let (traceparent, tracestate) = Self.traceParent(offered: request.headers)
        // `00-<32 hex trace id>-<16 hex span id>-<flags>`, as both ways of making it write it.
        let traceID = String(traceparent.dropFirst(3).prefix(32))
        context.logger.handler.metadata.merge(["request_id": .string(id), "trace_id": .string(traceID)]) { $1 }
        if !self.clientAddress.trustedProxies.isEmpty {
            context.clientAddressSource = .init(resolver: self.clientAddress, forwardedFor: request.headers[.xForwardedFor])
        }
        var serviceContext = ServiceContext.current ?? .topLevel
        TraceParent.incoming(traceparent, into: &serviceContext)
        var response = try await ServiceContext.withValue(serviceContext) {
            try await next(request, context)
        }
        response.headers[.requestID] = id
        response.headers[.traceparent] = traceparent
        if let tracestate { response.headers[.tracestate] = tracestate }
        return response
    }

    /// 1 to 64 characters of `[A-Za-z0-9._-]`: safe in a header, a log line and a frame.
    static func isSane(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    /// 32 hex digits (``CorrelationID``).
    static func makeRequestID() -> String {
        CorrelationID.hex(words: 2)
    }

    /// The `traceparent` (and `tracestate`) of the gateway's span: under the client's trace when
    /// it sent a valid one, else a new trace (not sampled).
    static func traceParent(offered headers: HTTPFields) -> (String, String?) {
        guard let value = headers[.traceparent],
            let offered = try? TraceContext(traceParentHeaderValue: value, traceStateHeaderValue: headers[.tracestate])
        else { return (CorrelationID.traceParent(), nil) }
        let own = TraceContext(traceID: offered.traceID, spanID: SpanID(bytes: Self.spanIDBytes()), flags: offered.flags, state: offered.state)
        return (own.traceParentHeaderValue, own.traceStateHeaderValue)
    }

    static func spanIDBytes() -> SpanID.Bytes {
        var bytes: SpanID.Bytes = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { $0.storeBytes(of: CorrelationID.next(), as: UInt64.self) }
        return bytes
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!
}
