import ArgumentParser
import IdentityService
import Logging
import ServiceRuntime

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the database migrations that are missing, then exit.")

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "identity") {
            try IdentityConfiguration(environment: $0, serving: false)
        }
        let pool = PostgresPool.forCommand(configuration, logger: logger)
        do {
            let applied = try await MigrationRunner(pool: pool, logger: logger).run()
            print(
                applied.isEmpty ? "identity: schema up to date" : "identity: applied migrations \(applied.map(String.init).joined(separator: ", "))"
            )
        } catch {
            StandardError.write("identity: migration failed: \(error)\n")
            throw ExitCode.failure
        }
    }
}
