public import Logging
import Metrics
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import ServiceRuntime
import Synchronization
import Tracing
public import SwiftProtobuf
public import WireProtocol
public import WireTransport

/// The gateway's client for one backend service with any number of instances.
///
/// Every request goes to the healthy instance with the fewest requests in flight, over one
/// multiplexed connection per instance, made on first use and remade after it closes. An
/// instance that cannot be reached is ejected for a growing while; a request that was never sent
/// (connection refused, instance draining) is retried on another instance at once. As a
/// `Service`, the pool pings ejected instances and takes them back when they answer.
///
/// Each request runs in a client span, and its frame carries the trace context (``TraceParent``).
/// Metrics: every request's round trip by operation and outcome (`backend_requests_total`,
/// `backend_request_duration_seconds`) and the instances up and ejected (`backend_instances`).
///
/// ```swift
/// let tokens = BackendPool(service: "token", addresses: [.unix(path: "/run/auth/token-1.sock")], logger: logger)
/// let reply = try await tokens.request(.ready, WireEmpty(), as: WireReadyReply.self, idempotent: true)
/// ```
public final class BackendPool: Service, Sendable {
    public struct Configuration: Sendable {
        /// How long a caller waits for an answer when it names no timeout.
        public var requestTimeout: TimeAmount
        public var connectTimeout: TimeAmount
        public var maximumFrameLength: Int
        public var maximumInFlightPerConnection: Int
        /// How often ejected instances are pinged (and `discover` is asked).
        public var probeInterval: TimeAmount
        /// Finds the current instances (a socket directory that replicas join and leave); `nil`
        /// keeps the addresses given at start.
        public var discover: (@Sendable () -> [WireEndpointAddress])?
        /// Who the instances may be: their users over Unix sockets, mutual TLS over TCP.
        public var security: BackendSecurity

        public init(
            requestTimeout: TimeAmount = .seconds(5),
            connectTimeout: TimeAmount = .milliseconds(500),
            maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength,
            maximumInFlightPerConnection: Int = 4096,
            probeInterval: TimeAmount = .milliseconds(250)
        ) {
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.maximumFrameLength = maximumFrameLength
            self.maximumInFlightPerConnection = maximumInFlightPerConnection
            self.probeInterval = probeInterval
            self.discover = nil
            self.security = .ownUser
        }
    }

    /// One instance's answer to `ready`, for the gateway's readiness report.
    public struct InstanceReadiness: Sendable {
        public var address: WireEndpointAddress
        public var reply: WireReadyReply?
        public var error: String?
        public var isReady: Bool { self.reply?.ready ?? false }

        public init(address: WireEndpointAddress, reply: WireReadyReply? = nil, error: String? = nil) {
            self.address = address
            self.reply = reply
            self.error = error
        }
    }

    private enum Slot {
        case connecting(EventLoopFuture<WireConnection>)
        case connected(WireConnection)
    }

    private struct State {
        var machine: StateMachine
        var slots: [WireEndpointAddress: Slot] = [:]
    }

    /// The service's name, for errors and logs ("identity", "token").
    public let service: String
    public let configuration: Configuration
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let state: Mutex<State>
    private let outcomes: InstrumentCache<OutcomeKey, Counter>
    private let durations: InstrumentCache<WireOperation, Metrics.Timer>
    private let instancesUp: Gauge
    private let instancesEjected: Gauge

    private struct OutcomeKey: Hashable, Sendable {
        var operation: WireOperation
        var outcome: String
    }

    public init(
        service: String,
        addresses: [WireEndpointAddress],
        configuration: Configuration = Configuration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.service = service
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.state = Mutex(State(machine: StateMachine(addresses: configuration.discover?() ?? addresses)))
        self.outcomes = InstrumentCache { key in
            Counter(
                label: "backend_requests_total",
                dimensions: [("backend", service), ("operation", "\(key.operation)"), ("outcome", key.outcome)]
            )
        }
        self.durations = InstrumentCache { operation in
            Metrics.Timer(label: "backend_request_duration_seconds", dimensions: [("backend", service), ("operation", "\(operation)")])
        }
        self.instancesUp = Gauge(label: "backend_instances", dimensions: [("backend", service), ("state", "up")])
        self.instancesEjected = Gauge(label: "backend_instances", dimensions: [("backend", service), ("state", "ejected")])
        self.recordInstances()
    }

    /// The instances currently known.
    public var addresses: [WireEndpointAddress] { self.state.withLock { $0.machine.order } }

    /// Replaces the instances (socket-directory discovery); connections to removed ones close.
    public func setAddresses(_ addresses: [WireEndpointAddress]) {
        let dropped: [Slot] = self.state.withLock { state in
            state.machine.setAddresses(addresses)
            let gone = state.slots.keys.filter { !addresses.contains($0) }
            return gone.compactMap { state.slots.removeValue(forKey: $0) }
        }
        for case .connected(let connection) in dropped {
            connection.close(promise: nil)
        }
    }

    /// Sends a request to the best instance and returns the answer's payload.
    ///
    /// - Parameter idempotent: whether the request may be sent again to another instance when a
    ///   connection dies with it in flight (reads: yes; a refresh rotation: no).
    public func request(
        _ operation: WireOperation,
        payload: ByteBuffer,
        requestID: String = "",
        timeout: TimeAmount? = nil,
        idempotent: Bool = false
    ) async throws -> ByteBuffer {
        guard TraceParent.instrumented else {
            // No instrument: the frame carries the request's trace context as it is.
            return try await self.measured(operation) {
                try await self.send(
                    operation,
                    payload: payload,
                    requestID: requestID,
                    traceContext: TraceParent.current,
                    timeout: timeout,
                    idempotent: idempotent
                )
            }
        }
        // A client span for the bootstrapped tracer; the frame carries its trace context.
        return try await withSpan("\(self.service).\(operation)", ofKind: .client) { span in
            try await self.measured(operation, span: span) {
                try await self.send(
                    operation,
                    payload: payload,
                    requestID: requestID,
                    traceContext: TraceParent.outgoing(from: span.context),
                    timeout: timeout,
                    idempotent: idempotent
                )
            }
        }
    }

    /// Runs `body`, counting its outcome and timing it.
    private func measured(
        _ operation: WireOperation,
        span: (any Span)? = nil,
        _ body: () async throws -> ByteBuffer
    ) async throws -> ByteBuffer {
        let started = ContinuousClock.now
        defer { self.durations(operation).recordElapsed(since: started) }
        do {
            let answer = try await body()
            self.outcomes(OutcomeKey(operation: operation, outcome: "ok")).increment()
            return answer
        } catch {
            let outcome = Self.outcome(of: error)
            self.outcomes(OutcomeKey(operation: operation, outcome: outcome)).increment()
            span?.attributes["auth.backend.outcome"] = outcome
            throw error
        }
    }

    /// A failed request's `outcome` label: the backend's status, or what went wrong on the way.
    static func outcome(of error: any Error) -> String {
        switch error as? WireError {
        case .remote(let status, _, _): "\(status)"
        case .deadlineExceeded: "deadlineExceeded"
        case .connectionFailed: "connectionFailed"
        case .connectionClosed, .truncatedFrame: "connectionClosed"
        case .tooManyInFlight: "tooManyInFlight"
        case .noHealthyEndpoint: "noHealthyEndpoint"
        case .some: "protocolError"
        case .none: error is CancellationError ? "cancelled" : "error"
        }
    }

    private func send(
        _ operation: WireOperation,
        payload: ByteBuffer,
        requestID: String,
        traceContext: String,
        timeout: TimeAmount?,
        idempotent: Bool
    ) async throws -> ByteBuffer {
        let deadline = NIODeadline.now() + (timeout ?? self.configuration.requestTimeout)
        var tried: Set<WireEndpointAddress> = []
        var lastError = WireError.noHealthyEndpoint(service: self.service)
        while true {
            let now = NIODeadline.now()
            guard now < deadline else { throw WireError.deadlineExceeded }
            guard let address = self.state.withLock({ $0.machine.pick(now: now, excluding: tried) }) else {
                throw lastError
            }
            tried.insert(address)
            do {
                let connection = try await self.connection(to: address)
                let answer = try await connection.request(
                    operation,
                    payload: payload,
                    requestID: requestID,
                    traceContext: traceContext,
                    timeout: deadline - NIODeadline.now()
                )
                self.finish(address, .success)
                return answer
            } catch let error as WireError {
                switch error {
                case .connectionFailed, .remote(status: .shuttingDown, _, _):
                    // Never reached the instance's handlers: safe to send elsewhere.
                    self.finish(address, .failure)
                    lastError = error
                    continue
                case .connectionClosed:
                    self.finish(address, .failure)
                    lastError = error
                    if idempotent { continue }
                    throw error
                case .tooManyInFlight:
                    self.finish(address, .neutral)
                    lastError = error
                    continue
                case .remote:
                    self.finish(address, .success)
                    throw error
                default:
                    self.finish(address, .neutral)
                    throw error
                }
            } catch {
                self.finish(address, .neutral)
                throw error
            }
        }
    }

    /// Asks every instance whether it is ready, all at once.
    public func readiness(requestID: String = "", timeout: TimeAmount = .seconds(1)) async -> [InstanceReadiness] {
        await self.askEach(.ready, as: WireReadyReply.self, requestID: requestID, timeout: timeout).map { address, result in
            switch result {
            case .success(let reply):
                return InstanceReadiness(address: address, reply: reply)
            case .failure(let error):
                // The public readiness body says what kind of failure, not paths or errno.
                let summary: String
                switch error as? WireError {
                case .connectionFailed: summary = "unreachable"
                case .deadlineExceeded: summary = "timed out"
                case .remote(let status, _, _): summary = "\(status)"
                default: summary = "connection error"
                }
                self.logger.debug("instance not ready", metadata: ["address": "\(address)", "error": "\(error)"])
                return InstanceReadiness(address: address, error: summary)
            }
        }
    }

    /// Sends `operation` (with an empty request) to every instance at once and returns each
    /// instance's answer, in the order of ``addresses``.
    public func askEach<Reply: SwiftProtobuf.Message>(
        _ operation: WireOperation,
        as: Reply.Type,
        requestID: String = "",
        timeout: TimeAmount = .seconds(1)
    ) async -> [(address: WireEndpointAddress, result: Result<Reply, any Error>)] {
        let addresses = self.addresses
        return await withTaskGroup(of: (Int, Result<Reply, any Error>).self) { group in
            for (index, address) in addresses.enumerated() {
                group.addTask {
                    do {
                        let connection = try await self.connection(to: address)
                        let payload = try await connection.request(
                            operation,
                            payload: WirePayload.encode(WireEmpty()),
                            requestID: requestID,
                            timeout: timeout
                        )
                        self.record(address, .success)
                        return (index, .success(try WirePayload.decode(Reply.self, from: payload)))
                    } catch {
                        if case .connectionFailed = error as? WireError { self.record(address, .failure) }
                        return (index, .failure(error))
                    }
                }
            }
            var results = [Result<Reply, any Error>?](repeating: nil, count: addresses.count)
            for await (index, result) in group { results[index] = result }
            return zip(addresses, results).compactMap { address, result in result.map { (address, $0) } }
        }
    }

    /// Pings ejected instances every probe interval and takes back those that answer.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let discover = self.configuration.discover {
                let found = discover()
                if found != self.addresses {
                    self.logger.info("instances changed", metadata: ["service": "\(self.service)", "instances": "\(found.count)"])
                    self.setAddresses(found)
                }
            }
            // A stop ends the wait at once: the loop's condition sees it.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .nanoseconds(self.configuration.probeInterval.nanoseconds)) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            self.recordInstances()
            let due = self.state.withLock { $0.machine.probeCandidates(now: .now()) }
            for address in due {
                do {
                    let connection = try await self.connection(to: address)
                    _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: self.configuration.connectTimeout)
                    self.record(address, .success)
                    self.logger.info("instance answers again", metadata: ["service": "\(self.service)", "address": "\(address)"])
                } catch {
                    self.record(address, .failure)
                }
            }
        }
        let slots = self.state.withLock { state in
            defer { state.slots.removeAll() }
            return Array(state.slots.values)
        }
        for case .connected(let connection) in slots {
            await connection.close()
        }
    }

    /// Sets the instance gauges (every probe interval, not on each request).
    private func recordInstances() {
        let (up, ejected) = self.state.withLock { state in
            let ejected = state.machine.order.filter { state.machine.isEjected($0) }.count
            return (state.machine.order.count - ejected, ejected)
        }
        self.instancesUp.record(up)
        self.instancesEjected.record(ejected)
    }

    private func finish(_ address: WireEndpointAddress, _ outcome: StateMachine.Outcome) {
        let ejectedNow = self.state.withLock { state in
            let wasEjected = state.machine.isEjected(address)
            state.machine.finish(address, outcome: outcome, now: .now())
            return !wasEjected && state.machine.isEjected(address)
        }
        if ejectedNow {
            self.logger.warning("instance ejected", metadata: ["service": "\(self.service)", "address": "\(address)"])
        }
    }

    private func record(_ address: WireEndpointAddress, _ outcome: StateMachine.Outcome) {
        self.state.withLock { $0.machine.record(address, outcome: outcome, now: .now()) }
    }

    /// The open connection to `address`, connecting once however many callers ask at the same time.
    private func connection(to address: WireEndpointAddress) async throws -> WireConnection {
        enum Next {
            case ready(WireConnection)
            case wait(EventLoopFuture<WireConnection>)
            case started(EventLoopFuture<WireConnection>)
        }
        let next: Next = self.state.withLock { state in
            switch state.slots[address] {
            case .connected(let connection) where connection.isUsable:
                return .ready(connection)
            case .connecting(let future):
                return .wait(future)
            case .connected, .none:
                let future = WireConnection.connect(
                    to: address,
                    eventLoopGroup: self.eventLoopGroup,
                    maximumFrameLength: self.configuration.maximumFrameLength,
                    maximumInFlight: self.configuration.maximumInFlightPerConnection,
                    connectTimeout: self.configuration.connectTimeout,
                    security: self.configuration.security
                )
                state.slots[address] = .connecting(future)
                return .started(future)
            }
        }
        switch next {
        case .ready(let connection):
            return connection
        case .wait(let future):
            return try await future.get()
        case .started(let future):
            do {
                let connection = try await future.get()
                self.state.withLock { state in
                    if state.machine.order.contains(address) { state.slots[address] = .connected(connection) }
                }
                return connection
            } catch {
                self.state.withLock { state in
                    if case .connecting = state.slots[address] { state.slots[address] = nil }
                }
                throw error
            }
        }
    }
}
