import ArgumentParser
import Logging
import ServiceRuntime
import TokenService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve token operations on this instance's socket.")

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "token") { try TokenConfiguration(environment: $0) }
        let server = try await ServiceEntryPoint.loadConfiguration(service: "token") {
            try await TokenServer(configuration: configuration, logger: logger)
        }
        try await ServiceEntryPoint.run(services: server.services, logger: logger)
    }
}
