public import NIOCore
public import NIOPosix
public import WireProtocol
import ServiceConfiguration

/// What a process's `healthcheck` subcommand runs: connect to the process's own socket, ask, and
/// say whether the answer was good, within a short timeout. A container probe runs it.
public enum Healthcheck {
    /// The outcome, with a line for the operator.
    public struct Outcome: Sendable {
        public var healthy: Bool
        public var message: String
    }

    /// Sends `ping` (or `ready` when `checkDependencies`) to `address`.
    public static func probe(
        _ address: WireEndpointAddress,
        checkDependencies: Bool,
        timeout: TimeAmount = .seconds(2),
        security: BackendSecurity = .ownUser
    ) async -> Outcome {
        let started = NIODeadline.now()
        let connection: WireConnection
        do {
            connection = try await WireConnection.connect(to: address, connectTimeout: timeout, security: security).get()
        } catch {
            return Outcome(healthy: false, message: "\(error)")
        }
        defer { connection.channel.close(promise: nil) }
        let remaining = timeout - (NIODeadline.now() - started)
        do {
            if checkDependencies {
                let reply = try await connection.request(.ready, WireEmpty(), as: WireReadyReply.self, timeout: remaining)
                let summary = reply.checks.map { "\($0.name)=\($0.ok ? "ok" : "down: \($0.detail)")" }.joined(separator: ", ")
                return Outcome(healthy: reply.ready, message: (reply.ready ? "ready" : "not ready") + (summary.isEmpty ? "" : " (\(summary))"))
            } else {
                _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: remaining)
                return Outcome(healthy: true, message: "ok")
            }
        } catch {
            return Outcome(healthy: false, message: "\(error)")
        }
    }
}

extension Healthcheck {
    /// What a `healthcheck` subcommand does: probe the socket named by `socketText`, print one
    /// line (`service address: outcome`), and return whether it is healthy.
    public static func report(service: String, socketText: String, checkDependencies: Bool) async -> Bool {
        guard let address = WireEndpointAddress(parsing: socketText) else {
            print("\(service): not a socket path or tcp://host:port: \(socketText)")
            return false
        }
        let security: BackendSecurity
        do {
            security = try BackendSecurity(environment: .process())
        } catch {
            print("\(service): configuration error: \(error)")
            return false
        }
        let outcome = await self.probe(address, checkDependencies: checkDependencies, security: security)
        print("\(service) \(address): \(outcome.message)")
        return outcome.healthy
    }
}
