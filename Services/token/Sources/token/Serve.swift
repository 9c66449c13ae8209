import ArgumentParser
import Logging
import ServiceSupport
import TokenService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve token operations on this instance's socket.")

    func run() async throws {
        let environment = EnvironmentReader.process()
        let (configuration, level) = try ServiceEntryPoint.loadConfiguration(service: "token") {
            (try TokenConfiguration(environment: environment), try LoggingBootstrap.level(from: environment))
        }
        LoggingBootstrap.bootstrap(service: "token", level: level)
        let logger = Logger(label: "token")
        let server = await TokenServer(configuration: configuration, logger: logger)
        try await ServiceEntryPoint.run(services: server.services, logger: logger)
    }
}
