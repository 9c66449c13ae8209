import NIOCore
import Synchronization
import WireProtocol

/// One request on its way out, with the promise its answer completes.
struct WireClientRequest {
    var operation: WireOperation
    var payload: ByteBuffer
    var requestID: String
    /// The W3C `traceparent` of the caller's span; empty for none.
    var traceContext: String
    var timeout: TimeAmount
    var promise: EventLoopPromise<Frame>
    /// Set by the handler when it takes the request, so that a write failing before the handler
    /// ever saw it (the channel already closed) can complete the promise exactly once.
    var taken: RequestTaken
}

/// Whether the handler took a request; touched only on the channel's event loop.
final class RequestTaken: @unchecked Sendable {
    var value = false
}

/// Carries many requests at once on one connection and matches each answer to its caller.
///
/// Follows NIOExtras' `RequestResponseWithIDHandler`: (request, promise) pairs go out, answers
/// come back in any order and complete the promise with the same correlation id, and a close or
/// an error fails every promise still open. It adds what that handler lacks: a deadline per
/// request that fails its promise with ``WireError/deadlineExceeded`` (the remaining budget is
/// sent in the header so the server can drop work nobody waits for), a cap on requests in flight,
/// and the server's draining notice, after which no new request is sent on this connection.
final class MultiplexingClientHandler: ChannelDuplexHandler {
    typealias InboundIn = Frame
    typealias OutboundIn = WireClientRequest
    typealias OutboundOut = Frame

    private struct Pending {
        var promise: EventLoopPromise<Frame>
        var deadline: NIODeadline
    }

    private let maximumInFlight: Int
    private let status: WireConnection.Status
    private var pending: [UInt32: Pending] = [:]
    private var nextCorrelationID: UInt32 = 1
    private var closed = false
    /// One timer for all requests, due at the earliest deadline: a timer per request would cost
    /// a schedule and a cancel on every call.
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(maximumInFlight: Int, status: WireConnection.Status) {
        self.maximumInFlight = maximumInFlight
        self.status = status
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        request.taken.value = true
        if self.closed {
            // Not sent: the caller may retry on another instance.
            let error = WireError.connectionFailed(endpoint: "closed connection", reason: "closed before the request was sent")
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        if self.status.isDraining {
            // Not sent: the caller may retry on another instance.
            let error = WireError.connectionFailed(endpoint: "draining instance", reason: "shutting down")
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        guard self.pending.count < self.maximumInFlight else {
            request.promise.fail(WireError.tooManyInFlight(limit: self.maximumInFlight))
            promise?.fail(WireError.tooManyInFlight(limit: self.maximumInFlight))
            return
        }
        let id = self.takeCorrelationID()
        let deadline = NIODeadline.now() + request.timeout
        self.pending[id] = Pending(promise: request.promise, deadline: deadline)
        self.status.setInFlight(self.pending.count)
        self.armTimer(context, due: deadline)
        let milliseconds = max(1, min(Int64(UInt32.max), request.timeout.nanoseconds / 1_000_000))
        let header = FrameHeader(
            kind: .request,
            code: request.operation.rawValue,
            correlationID: id,
            deadlineMilliseconds: UInt32(milliseconds),
            requestID: request.requestID,
            traceContext: request.traceContext
        )
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { error in
            // The frame did not leave whole (a broken pipe as the peer goes away), so the server
            // cannot have acted on it: the caller may send it to another instance.
            self.complete(id, with: .failure(WireError.connectionFailed(endpoint: "connection", reason: "write failed: \(error)")))
        }
        written.futureResult.cascade(to: promise)
        context.write(Self.wrapOutboundOut(Frame(header: header, payload: request.payload)), promise: written)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if frame.header.correlationID == 0 {
            // An unsolicited notice: the server is draining. Finish what is in flight, send no more.
            if WireStatus(rawValue: frame.header.code) == .shuttingDown {
                self.status.markDraining()
                if self.pending.isEmpty { context.close(promise: nil) }
            }
            return
        }
        // An answer after its timeout finds nothing here and is dropped.
        self.complete(frame.header.correlationID, with: .success(frame))
        if self.status.isDraining && self.pending.isEmpty {
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(WireError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset or a broken pipe means the same to a caller as a close: the answer is lost.
        self.failAll(error as? WireError ?? WireError.connectionClosed)
        context.close(promise: nil)
    }

    private func complete(_ id: UInt32, with result: Result<Frame, any Error>) {
        guard let entry = self.pending.removeValue(forKey: id) else { return }
        self.status.setInFlight(self.pending.count)
        entry.promise.completeWith(result)
    }

    /// Makes sure the timer fires by `deadline`; a timer due earlier re-arms itself when it fires.
    private func armTimer(_ context: ChannelHandlerContext, due deadline: NIODeadline) {
        if let current = self.timerDeadline, current <= deadline { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timer = nil
            self.timerDeadline = nil
            self.expire(context)
        }
    }

    /// Fails every request past its deadline with ``WireError/deadlineExceeded``.
    private func expire(_ context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        var expired: [UInt32] = []
        var earliest: NIODeadline?
        for (id, entry) in self.pending {
            if entry.deadline <= now {
                expired.append(id)
            } else if earliest.map({ entry.deadline < $0 }) ?? true {
                earliest = entry.deadline
            }
        }
        for id in expired {
            self.complete(id, with: .failure(WireError.deadlineExceeded))
        }
        if let earliest { self.armTimer(context, due: earliest) }
    }

    private func failAll(_ error: any Error) {
        self.closed = true
        self.status.markClosed()
        let open = self.pending
        self.pending.removeAll()
        self.status.setInFlight(0)
        self.timer?.cancel()
        self.timer = nil
        self.timerDeadline = nil
        for entry in open.values {
            entry.promise.fail(error)
        }
    }

    private func takeCorrelationID() -> UInt32 {
        // 0 is reserved for unsolicited notices; skip ids still waiting after a wrap-around.
        repeat {
            self.nextCorrelationID &+= 1
        } while self.nextCorrelationID == 0 || self.pending[self.nextCorrelationID] != nil
        return self.nextCorrelationID
    }
}

@available(*, unavailable)
extension MultiplexingClientHandler: Sendable {}
