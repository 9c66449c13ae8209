public import Gateway
import Logging
public import NIOCore
import Synchronization
public import WireProtocol
public import WireTransport

/// A ``BackendTransport`` that runs a service's real operations in this process: the gateway's
/// routes are tested without sockets or processes, the operations still on the real PostgreSQL
/// and Redis. The request goes through the service's own ``OperationDispatcher``, so errors,
/// deadlines and statuses come back as a wire connection would bring them.
public final class InProcessBackend: BackendTransport {
    let dispatcher: OperationDispatcher
    let logger: Logger
    let timeout: TimeAmount
    let correlation = Atomic<UInt32>(0)

    public init(dispatcher: OperationDispatcher, timeout: TimeAmount = .seconds(10)) {
        self.dispatcher = dispatcher
        self.timeout = timeout
        var logger = Logger(label: "in-process")
        logger.logLevel = .critical
        self.logger = logger
    }

    public func request(_ operation: WireOperation, payload: ByteBuffer, requestID: String, idempotent: Bool) async throws -> ByteBuffer {
        let header = FrameHeader(
            kind: .request,
            code: operation.rawValue,
            correlationID: self.correlation.add(1, ordering: .relaxed).newValue,
            requestID: requestID
        )
        let request = WireRequest(header: header, payload: payload, deadline: .now() + self.timeout, logger: self.logger)
        guard let answer = await self.dispatcher.dispatch(request) else { throw WireError.deadlineExceeded }
        return try answer.answerPayload()
    }

    public func readiness(requestID: String) async -> [BackendPool.InstanceReadiness] {
        do {
            let payload = try await self.request(.ready, payload: WirePayload.encode(WireEmpty()), requestID: requestID, idempotent: true)
            let reply = try WirePayload.decode(WireReadyReply.self, from: payload)
            return [BackendPool.InstanceReadiness(address: .unix(path: "in-process"), reply: reply)]
        } catch {
            return [BackendPool.InstanceReadiness(address: .unix(path: "in-process"), error: "\(error)")]
        }
    }

    public func metrics(requestID: String) async -> [(instance: String, text: String?)] {
        let payload = try? await self.request(.metrics, payload: WirePayload.encode(WireEmpty()), requestID: requestID, idempotent: true)
        return [(instance: "in-process", text: payload.flatMap { try? WirePayload.decode(WireMetricsReply.self, from: $0).text })]
    }
}
