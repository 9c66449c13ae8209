import ArgumentParser
import ServiceConfiguration
import TokenService
import WireTransport

struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ask the running token process over its socket; exit 0 when it answers well (a container probe)."
    )

    @Option(help: "The socket to ask (default: TOKEN_SOCKET).")
    var socket: String?

    @Flag(help: "Ask `ready` (Redis checked) instead of `ping`.")
    var ready = false

    func run() async throws {
        let socket = try self.socket ?? TokenConfiguration.socket(environment: EnvironmentReader.process()).description
        guard await WireTransport.Healthcheck.report(service: "token", socketText: socket, checkDependencies: self.ready) else {
            throw ExitCode.failure
        }
    }
}
