import ArgumentParser
import Gateway
import Hummingbird
import Logging
import ServiceSupport

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve HTTP on HOST:PORT.")

    func run() async throws {
        let environment = EnvironmentReader.process()
        let (configuration, level) = try ServiceEntryPoint.loadConfiguration(service: "gateway") {
            (try GatewayConfiguration(environment: environment), try LoggingBootstrap.level(from: environment))
        }
        LoggingBootstrap.bootstrap(service: "gateway", level: level)
        let logger = Logger(label: "gateway")
        let backends = Backends(configuration: configuration, logger: logger)
        let app = buildApplication(configuration: configuration, backends: backends, logger: logger)
        try await ServiceEntryPoint.run(services: [app], logger: logger)
    }
}
