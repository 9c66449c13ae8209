import ArgumentParser

@main
struct IdentityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "The identity service: users, passwords (Argon2id) and PostgreSQL.",
        subcommands: [Serve.self, Healthcheck.self, Migrate.self, ImportUsers.self, CreateSuperuser.self],
        defaultSubcommand: Serve.self
    )
}
