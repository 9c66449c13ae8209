public import Logging
import NIOCore
public import WireProtocol
public import WireTransport

/// Runs a ``WireServer`` on a temporary Unix socket for the length of `body`.
///
/// ```swift
/// try await withWireServer(dispatcher: dispatcher) { address, server in
///     let connection = try await WireConnection.connect(to: address).get()
/// }
/// ```
///
/// - Parameters:
///   - address: where to listen (default: a socket in a temporary directory); a `tcp://` port 0
///     is chosen by the system, and `body` gets the one chosen.
///   - security: who may call.
public func withWireServer<Result: Sendable>(
    dispatcher: OperationDispatcher,
    path: String? = nil,
    address: WireEndpointAddress? = nil,
    security: BackendSecurity = .ownUser,
    maximumFrameLength: Int = FrameDecoder.defaultMaximumFrameLength,
    _ body: @Sendable (WireEndpointAddress, WireServer) async throws -> Result
) async throws -> Result {
    let directory = TemporaryDirectory(prefix: "wire")
    defer { directory.remove() }
    let requested = address ?? WireEndpointAddress.unix(path: path ?? directory.appending("server.sock"))
    var logger = Logger(label: "wire-test")
    logger.logLevel = .critical
    let server = WireServer(
        configuration: .init(address: requested, maximumFrameLength: maximumFrameLength, security: security),
        dispatcher: dispatcher,
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await server.run() }
        while server.localAddress == nil { try await Task.sleep(for: .milliseconds(2)) }
        var address = requested
        if case .tcp(let host, _) = requested, let port = server.localAddress?.port { address = .tcp(host: host, port: port) }
        do {
            let result = try await body(address, server)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

extension OperationDispatcher {
    /// A dispatcher whose `ready` always says ready, for transport tests.
    public static func alwaysReady(instance: String = "test") -> OperationDispatcher {
        OperationDispatcher(ready: { _ in
            var reply = WireReadyReply()
            reply.ready = true
            reply.instance = instance
            return reply
        })
    }
}
