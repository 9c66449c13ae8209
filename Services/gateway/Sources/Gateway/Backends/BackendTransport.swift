public import NIOCore
import SwiftProtobuf
public import WireProtocol

/// What the gateway's backend clients need from a backend service: one operation's payload
/// sent, the answer's payload back.
///
/// ``BackendPool`` is the production conformer (the balancing, retries and ejection across
/// instances). A test may pass a conformer that runs the service's real operations in process,
/// so every route's statuses, headers and bodies are tested without sockets or processes.
public protocol BackendTransport: Sendable {
    /// Sends `payload` as `operation` and returns the answer's payload.
    ///
    /// - Parameter idempotent: whether the request may be sent again to another instance when
    ///   a connection breaks with it in flight.
    /// - Throws: `WireError.remote` for an error answer; another `WireError` when no instance
    ///   answered in time.
    func request(_ operation: WireOperation, payload: ByteBuffer, requestID: String, idempotent: Bool) async throws -> ByteBuffer

    /// Each instance's answer to `ready`, for the gateway's readiness report.
    func readiness(requestID: String) async -> [BackendPool.InstanceReadiness]

    /// Each instance's metrics (Prometheus text), named by its address; `nil` text for an
    /// instance that did not answer.
    func metrics(requestID: String) async -> [(instance: String, text: String?)]
}

extension BackendTransport {
    /// Sends a protobuf request and decodes the protobuf answer.
    func request<Response: Message>(
        _ operation: WireOperation,
        _ message: some Message,
        as response: Response.Type,
        requestID: String,
        idempotent: Bool = false
    ) async throws -> Response {
        let payload = try await self.request(operation, payload: WirePayload.encode(message), requestID: requestID, idempotent: idempotent)
        return try WirePayload.decode(Response.self, from: payload)
    }
}

extension BackendPool: BackendTransport {
    public func request(_ operation: WireOperation, payload: ByteBuffer, requestID: String, idempotent: Bool) async throws -> ByteBuffer {
        try await self.request(operation, payload: payload, requestID: requestID, timeout: nil, idempotent: idempotent)
    }

    public func readiness(requestID: String) async -> [InstanceReadiness] {
        await self.readiness(requestID: requestID, timeout: .seconds(1))
    }

    public func metrics(requestID: String) async -> [(instance: String, text: String?)] {
        await self.askEach(.metrics, as: WireMetricsReply.self, requestID: requestID).map { address, result in
            (instance: "\(address)", text: try? result.get().text)
        }
    }
}
