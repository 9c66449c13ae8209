import ArgumentParser
import IdentityService
import Logging
import ServiceSupport

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve identity operations on the identity socket.")

    func run() async throws {
        let environment = EnvironmentReader.process()
        let (configuration, level) = try ServiceEntryPoint.loadConfiguration(service: "identity") {
            (try IdentityConfiguration(environment: environment), try LoggingBootstrap.level(from: environment))
        }
        LoggingBootstrap.bootstrap(service: "identity", level: level)
        let logger = Logger(label: "identity")
        let server = try IdentityServer(configuration: configuration, logger: logger)
        try await ServiceEntryPoint.run(services: server.services, logger: logger)
    }
}
