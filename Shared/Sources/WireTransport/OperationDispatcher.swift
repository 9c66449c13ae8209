public import Logging
import Metrics
public import NIOCore
import ServiceRuntime
public import SwiftProtobuf
import Tracing
public import WireProtocol

/// Routes each request to the handler registered for its operation and turns every outcome,
/// including errors, into the answering frame.
///
/// `ping` is built in (it touches nothing), and so is `metrics` (the process's Prometheus text);
/// `ready` is built from the closure the service passes. An unknown operation gets a
/// ``WireStatus/unknownOperation`` answer and the connection stays. Every answer is counted by
/// operation and status (`wire_server_requests_total`) and timed by operation
/// (`wire_server_request_duration_seconds`). Each runs in a server span whose context is the
/// frame's trace context (see ``TraceParent``).
///
/// ```swift
/// var dispatcher = OperationDispatcher(ready: { _ in await store.readiness() })
/// dispatcher.on(.register) { (request: WireRegisterRequest, context) in try await users.register(request) }
/// ```
public struct OperationDispatcher: Sendable {
    /// A handler working on raw payloads.
    public typealias Handler = @Sendable (WireRequest) async throws -> ByteBuffer

    private var handlers: [WireOperation: Handler] = [:]
    private let answers = InstrumentCache { (key: AnswerKey) in
        Counter(
            label: "wire_server_requests_total",
            dimensions: [("operation", "\(key.operation)"), ("status", key.status.map { "\($0)" } ?? "dropped")]
        )
    }
    private let overloadWarnings = LogThrottle(intervalSeconds: 10)
    private let durations = InstrumentCache { (operation: WireOperation) in
        Metrics.Timer(label: "wire_server_request_duration_seconds", dimensions: [("operation", "\(operation)")])
    }

    /// The operation and the answer's status (`nil`: dropped, the caller's deadline had passed).
    private struct AnswerKey: Hashable, Sendable {
        var operation: WireOperation
        var status: WireStatus?
    }

    /// - Parameter ready: checks the service's own dependencies.
    public init(ready: @escaping @Sendable (WireRequest) async -> WireReadyReply) {
        self.handlers[.ping] = { _ in ByteBuffer() }
        self.handlers[.ready] = { request in WirePayload.encode(await ready(request)) }
        self.handlers[.metrics] = { _ in
            var reply = WireMetricsReply()
            reply.text = ProcessMetrics.exposition()
            return WirePayload.encode(reply)
        }
    }

    /// Registers a handler that takes and returns protobuf messages.
    public mutating func on<Request: Message, Response: Message>(
        _ operation: WireOperation,
        _ handler: @escaping @Sendable (Request, WireRequest) async throws -> Response
    ) {
        self.handlers[operation] = { request in
            let message = try WirePayload.decode(Request.self, from: request.payload)
            return WirePayload.encode(try await handler(message, request))
        }
    }

    /// Registers a handler working on raw payloads.
    public mutating func on(_ operation: WireOperation, raw handler: @escaping Handler) {
        self.handlers[operation] = handler
    }

    /// Runs the handler for `request`; `nil` when the answer is to be dropped because the
    /// caller's deadline has passed (nobody is waiting for it).
    public func dispatch(_ request: WireRequest) async -> Frame? {
        let started = ContinuousClock.now
        let answer: Frame?
        if TraceParent.instrumented {
            // The caller's trace context, current while the handler runs, under a span of ours.
            var context = ServiceContext.topLevel
            TraceParent.incoming(request.header.traceContext, into: &context)
            answer = await withSpan("\(request.operation)", context: context, ofKind: .server) { _ in
                await self.answer(request)
            }
        } else {
            // No instrument: the trace id reaches the logs from the frame header (WireRequest.logger).
            answer = await self.answer(request)
        }
        self.answers(AnswerKey(operation: request.operation, status: answer.map { WireStatus(rawValue: $0.header.code) })).increment()
        self.durations(request.operation).recordElapsed(since: started)
        return answer
    }

    private func answer(_ request: WireRequest) async -> Frame? {
        guard NIODeadline.now() < request.deadline else {
            request.debug("dropped: deadline passed before work started")
            return nil
        }
        guard let handler = self.handlers[request.operation] else {
            return Self.errorFrame(
                answering: request.header,
                status: .unknownOperation,
                message: "unknown operation \(request.header.code)"
            )
        }
        do {
            let payload = try await WorkDeadline.$current.withValue(request.deadline) { try await handler(request) }
            let answer = Frame.response(to: request.header, payload: payload)
            request.debug("handled")
            return answer
        } catch let error as any WireErrorConvertible where error.wireStatus == .deadlineExceeded {
            request.debug("dropped: deadline passed during work")
            return nil
        } catch let error as any WireErrorConvertible {
            // Overload refuses many requests a second: one line per interval says so, the
            // answer counter has them all.
            if error.wireStatus == .overloaded, let skipped = self.overloadWarnings.admit() {
                request.logger.warning("refused: \(error.wireMessage)", metadata: ["similar_since_last_warning": "\(skipped)"])
            } else {
                request.debug("refused", metadata: ["status": "\(error.wireStatus)"])
            }
            return Self.errorFrame(
                answering: request.header,
                status: error.wireStatus,
                message: error.wireMessage,
                metadata: error.wireMetadata
            )
        } catch {
            request.logger.error("operation failed", metadata: ["error": "\(String(reflecting: error))"])
            return Self.errorFrame(answering: request.header, status: .internalError, message: "internal error")
        }
    }

    /// An error frame answering `header`.
    public static func errorFrame(
        answering header: FrameHeader,
        status: WireStatus,
        message: String,
        metadata: [String: String] = [:]
    ) -> Frame {
        var reply = WireErrorReply()
        reply.message = message
        reply.metadata = metadata
        return Frame.response(to: header, status: status, payload: WirePayload.encode(reply))
    }
}
