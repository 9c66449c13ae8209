import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import IdentityService
import ServiceRuntime

struct CreateSuperuser: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-superuser",
        abstract: "Create the first super_admin; the password is read from standard input (or --password-file)."
    )

    @Option(help: "The superuser's username.")
    var username: String

    @Option(help: "The superuser's email.")
    var email: String

    @Option(help: "A file holding the password (instead of standard input).")
    var passwordFile: String?

    func run() async throws {
        let (configuration, logger) = try ServiceEntryPoint.bootstrap(service: "identity") {
            try IdentityConfiguration(environment: $0, serving: false)
        }
        let password: String
        if let passwordFile = self.passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw ValidationError("cannot read \(passwordFile)")
            }
            password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } else {
            password = readLine(strippingNewline: true) ?? ""
        }
        let pool = PostgresPool.forCommand(configuration, logger: logger)
        let bootstrap = SuperuserBootstrap(
            users: PostgresUserStore(pool: pool),
            hasher: Argon2PasswordHasher(backend: configuration.argon2Backend, parameters: configuration.argon2),
            hashingPool: BlockingPool(threads: 1, maximumPending: 1),
            rules: configuration.registration
        )
        do {
            switch try await bootstrap.create(username: self.username, email: self.email, password: password) {
            case .created(let id): print("identity create-superuser: created super_admin \(self.username) (id \(id))")
            case .exists: print("identity create-superuser: a user named \(self.username) or with that email exists already; nothing changed")
            }
        } catch let error as IdentityError {
            StandardError.write("identity create-superuser: \(error.wireMessage)\n")
            throw ExitCode.failure
        }
    }
}
