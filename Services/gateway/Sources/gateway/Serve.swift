import ArgumentParser
import Gateway
import Hummingbird
import Logging
import ServiceRuntime

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve HTTP on HOST:PORT.")

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "gateway") { try GatewayConfiguration(environment: $0) }
        let backends = Backends(configuration: configuration, logger: logger)
        let app = buildApplication(configuration: configuration, backends: backends, logger: logger)
        try await ServiceEntryPoint.run(services: [app], logger: logger)
    }
}
