import ArgumentParser

@main
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "The token service: JWT access tokens, refresh rotation and revocation in Redis.",
        subcommands: [Serve.self, Healthcheck.self, RotateKeys.self, RetireKey.self, ListKeys.self],
        defaultSubcommand: Serve.self
    )
}
