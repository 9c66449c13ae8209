public import Logging
import Metrics
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import ServiceRuntime
import Synchronization

/// Redis for the token service: pipelined connections driven by the event loops themselves.
///
/// Each connection belongs to one event loop of `eventLoopGroup`. A command sent from a task
/// running on an event loop (the wire server runs every request on its connection's loop) goes
/// out on that loop's connection, and its reply resumes the task on the same loop: no thread
/// hand-off and no blocking call anywhere. hiredis formats commands and parses replies.
///
/// A connection that closed (Redis restarted) is replaced on the next command, so the service
/// recovers by itself when Redis is back; while it is down, commands fail at once with
/// ``RedisError/connectionFailed(_:)``.
///
/// As a service it closes its connections at shutdown; listed before the services that use it,
/// it stops after them.
///
/// Metrics: commands by outcome (`redis_commands_total`: ok, error reply, unreachable), their
/// round trips (`redis_command_duration_seconds`) and those waiting for a reply
/// (`redis_commands_in_flight`).
public final class RedisClient: Service, Sendable {
    private enum Slot {
        case idle
        case connecting(EventLoopFuture<RedisConnection>)
        case connected(RedisConnection)
    }

    private final class Lane: Sendable {
        let eventLoop: any EventLoop
        let slot = Mutex(Slot.idle)

        init(eventLoop: any EventLoop) {
            self.eventLoop = eventLoop
        }
    }

    public let endpoint: RedisEndpoint
    private let lanes: [Lane]
    /// The lanes of each event loop, by the loop's identity.
    private let lanesByLoop: [ObjectIdentifier: [Int]]
    private let nextLane = Atomic<Int>(0)
    private let timeout: TimeAmount
    private let maximumPending: Int
    private let logger: Logger
    private let inFlight = Atomic<Int>(0)
    private let inFlightGauge = Gauge(label: "redis_commands_in_flight")
    private let durations = Metrics.Timer(label: "redis_command_duration_seconds")
    private let answered = Counter(label: "redis_commands_total", dimensions: [("outcome", "ok")])
    private let refused = Counter(label: "redis_commands_total", dimensions: [("outcome", "error")])
    private let unreachable = Counter(label: "redis_commands_total", dimensions: [("outcome", "unreachable")])

    /// - Parameters:
    ///   - connections: how many connections, spread over the group's event loops (at least one
    ///     per loop is best: a loop without one hands its commands to another loop).
    ///   - timeout: the longest wait to connect, and for a reply before the connection is given up.
    ///   - maximumPending: commands waiting for replies on one connection before more are refused.
    public init(
        endpoint: RedisEndpoint,
        connections: Int,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        timeout: TimeAmount = .seconds(2),
        maximumPending: Int = 4096,
        logger: Logger
    ) {
        let loops = Array(eventLoopGroup.makeIterator())
        self.endpoint = endpoint
        let lanes = (0..<max(1, connections)).map { Lane(eventLoop: loops[$0 % loops.count]) }
        self.lanes = lanes
        self.lanesByLoop = Dictionary(grouping: lanes.indices) { ObjectIdentifier(lanes[$0].eventLoop) }
        self.timeout = timeout
        self.maximumPending = maximumPending
        self.logger = logger
    }

    /// Sends one command; an error reply is thrown as ``RedisError/server(_:)``.
    public func command(_ arguments: [String]) async throws -> RedisValue {
        try await self.command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command of binary arguments; an error reply is thrown as ``RedisError/server(_:)``.
    public func command(_ arguments: [[UInt8]]) async throws -> RedisValue {
        let started = ContinuousClock.now
        self.inFlightGauge.record(self.inFlight.wrappingAdd(1, ordering: .relaxed).newValue)
        defer {
            self.inFlightGauge.record(self.inFlight.wrappingSubtract(1, ordering: .relaxed).newValue)
            self.durations.recordElapsed(since: started)
        }
        let reply: RedisValue
        do {
            let connection: RedisConnection
            switch self.connection(self.lane()) {
            case .ready(let ready): connection = ready
            case .connecting(let future): connection = try await future.get()
            }
            reply = try await connection.send(arguments).get()
        } catch let error as RedisError {
            self.unreachable.increment()
            self.logger.warning("redis unreachable", metadata: ["error": "\(error)"])
            throw error
        }
        if case .error(let message) = reply {
            self.refused.increment()
            throw RedisError.server(message)
        }
        self.answered.increment()
        return reply
    }

    /// The connection of the loop the caller runs on, when it has one; otherwise the next in turn.
    private func lane() -> Lane {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let own = self.lanesByLoop[ObjectIdentifier(current)] {
            if own.count == 1 { return self.lanes[own[0]] }
            return self.lanes[own[self.nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % own.count]]
        }
        return self.lanes[self.nextLane.wrappingAdd(1, ordering: .relaxed).oldValue % self.lanes.count]
    }

    private enum Connection {
        case ready(RedisConnection)
        case connecting(EventLoopFuture<RedisConnection>)
    }

    /// The lane's open connection, or the future of the one being made (started here if none is).
    private func connection(_ lane: Lane) -> Connection {
        enum Next {
            case ready(RedisConnection)
            case wait(EventLoopFuture<RedisConnection>)
            case start(EventLoopPromise<RedisConnection>)
        }
        let next: Next = lane.slot.withLock { slot in
            switch slot {
            case .connected(let connection) where connection.isActive:
                return .ready(connection)
            case .connecting(let future):
                return .wait(future)
            case .idle, .connected:
                let promise = lane.eventLoop.makePromise(of: RedisConnection.self)
                slot = .connecting(promise.futureResult)
                return .start(promise)
            }
        }
        switch next {
        case .ready(let connection):
            return .ready(connection)
        case .wait(let future):
            return .connecting(future)
        case .start(let promise):
            RedisConnection.connect(to: self.endpoint, on: lane.eventLoop, timeout: self.timeout, maximumPending: self.maximumPending)
                .whenComplete { result in
                    lane.slot.withLock { slot in
                        switch result {
                        case .success(let connection): slot = .connected(connection)
                        case .failure: slot = .idle
                        }
                    }
                    promise.completeWith(result)
                }
            return .connecting(promise.futureResult)
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        self.close()
    }

    /// Closes every connection.
    public func close() {
        for lane in self.lanes {
            let slot = lane.slot.withLock { slot in
                defer { slot = .idle }
                return slot
            }
            switch slot {
            case .connected(let connection): connection.channel.close(promise: nil)
            case .connecting(let future): future.whenSuccess { $0.channel.close(promise: nil) }
            case .idle: break
            }
        }
    }
}
