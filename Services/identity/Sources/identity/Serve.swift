import ArgumentParser
import IdentityService
import Logging
import ServiceConfiguration
import ServiceRuntime

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve identity operations on the identity socket.")

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "identity") { try IdentityConfiguration(environment: $0) }
        let server = try IdentityServer(configuration: configuration, logger: logger)
        do {
            try await ServiceEntryPoint.run(services: server.services, logger: logger)
        } catch let error as ConfigurationError {
            // Found at start from the database (a second factor without its key).
            StandardError.write("identity: \(error)\n")
            throw ExitCode(78)
        }
    }
}
