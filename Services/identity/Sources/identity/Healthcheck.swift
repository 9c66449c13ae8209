import ArgumentParser
import ServiceConfiguration
import WireTransport

struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the running identity process over its socket; exit 0 when it answers well (a container probe)."
    )

    @Option(help: "The socket to ask (default: IDENTITY_SOCKET).")
    var socket: String?

    @Flag(help: "Ask `ready` (PostgreSQL checked) instead of `ping`.")
    var ready = false

    func run() async throws {
        let socket = self.socket ?? EnvironmentReader.process().string("IDENTITY_SOCKET", default: "/run/auth/identity.sock")
        guard await WireTransport.Healthcheck.report(service: "identity", socketText: socket, checkDependencies: self.ready) else {
            throw ExitCode.failure
        }
    }
}
