import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import IdentityService
import Logging
import ServiceRuntime

struct ImportUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-users",
        abstract: "Load users exported from the FastAPI service (CSV or JSON), keeping their password hashes."
    )

    @Argument(help: "The export: a CSV file with a header row, or a JSON array of objects.")
    var file: String

    @Option(help: "csv or json (default: from the file name).")
    var format: String?

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "identity") {
            try IdentityConfiguration(environment: $0, serving: false)
        }
        guard let text = try? String(contentsOfFile: self.file, encoding: .utf8) else {
            throw ValidationError("cannot read \(self.file)")
        }
        let json = (self.format ?? (self.file.lowercased().hasSuffix(".json") ? "json" : "csv")).lowercased() == "json"
        let rows: [Result<ImportedUser, UserImport.RowError>]
        do {
            rows = try UserImport.parse(text, json: json)
        } catch {
            throw ValidationError("\(self.file): \(error)")
        }
        let store = PostgresUserStore(pool: PostgresPool.forCommand(configuration, logger: logger))
        var imported = 0
        var existing = 0
        var invalid = 0
        for row in rows {
            switch row {
            case .success(let user):
                if try await store.importUser(user) { imported += 1 } else { existing += 1 }
            case .failure(let error):
                invalid += 1
                StandardError.write("identity import-users: skipped \(error)\n")
            }
        }
        try await store.synchronizeIDSequence()
        print("identity import-users: \(imported) imported, \(existing) already present, \(invalid) invalid")
        if invalid > 0 && imported == 0 { throw ExitCode.failure }
    }
}
