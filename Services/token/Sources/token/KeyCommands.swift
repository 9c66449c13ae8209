import ArgumentParser
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import ServiceConfiguration
import ServiceRuntime
import TokenService

/// The key directory of the running configuration (`JWT_KEY_DIR`), or exit 78 naming what is missing.
func configuredKeyDirectory() throws -> (KeyDirectory, SigningKeyConfiguration) {
    try ServiceEntryPoint.loadConfiguration(service: "token") {
        let configuration = try SigningKeyConfiguration(environment: EnvironmentReader.process())
        guard case .directory(let directory) = configuration.source else {
            throw ConfigurationError(
                variable: "JWT_KEY_DIR",
                reason: "key commands work on a key directory; set JWT_ALGORITHM=EdDSA or ES256 and JWT_KEY_DIR"
            )
        }
        return (directory, configuration)
    }
}

/// Prints `error` and fails (exit 1): the key directory said no.
func refuse(_ error: KeyDirectoryError) -> ExitCode {
    StandardError.write("token: \(error.description)\n")
    return .failure
}

struct RotateKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-keys",
        abstract:
            "Make a new signing key. It is published at once and signs after two reload intervals; the old keys verify until their tokens have expired."
    )

    func run() throws {
        let (directory, configuration) = try configuredKeyDirectory()
        do {
            let now = WallClock.now()
            // Only the first key is made here: a directory with no key signing now (its pending key
            // retired, say) is what a rotation mends.
            try directory.makeFirstKey(now: now)
            let entry = try directory.rotate(
                now: now,
                activationDelay: configuration.activationDelay,
                verificationWindow: configuration.verificationWindow
            )
            print("new key \(entry.kid): published now, signs from \(Self.date(entry.activates))")
        } catch {
            throw refuse(error)
        }
    }

    static func date(_ seconds: Double) -> String {
        Date(timeIntervalSince1970: seconds).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
    }
}

struct RetireKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire-key",
        abstract: "Stop a key verifying now (a key that may have leaked): its tokens are refused from every instance's next reload."
    )

    @Argument(help: "The key's id (its kid, as list-keys shows it).")
    var kid: String

    func run() throws {
        let (directory, _) = try configuredKeyDirectory()
        do {
            try directory.retire(kid: self.kid, now: WallClock.now())
            print("key \(self.kid) retired")
        } catch {
            throw refuse(error)
        }
    }
}

struct ListKeys: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list-keys", abstract: "Show the keys of the key directory and their schedule.")

    func run() throws {
        let (directory, _) = try configuredKeyDirectory()
        do {
            let now = WallClock.now()
            let entries = try directory.entries()
            let signing = try? directory.keySet(now: now).signing.id
            for entry in entries {
                let state: String
                if entry.kid == signing {
                    state = "signing"
                } else if entry.activates > now {
                    state = "published, signs from \(RotateKeys.date(entry.activates))"
                } else if let end = entry.verifyUntil, end <= now {
                    state = "retired"
                } else {
                    state = "verifying until \(entry.verifyUntil.map(RotateKeys.date) ?? "replaced")"
                }
                print("\(entry.kid)  \(state)")
            }
        } catch {
            throw refuse(error)
        }
    }
}
