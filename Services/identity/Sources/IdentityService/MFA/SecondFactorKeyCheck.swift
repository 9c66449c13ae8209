public import Logging
import ServiceConfiguration
public import ServiceLifecycle

/// Without `MFA_ENCRYPTION_KEY`, stops identity once PostgreSQL shows an account with a second
/// factor: those accounts could not sign in, and running on would look like the factor was gone.
///
/// Retries while PostgreSQL is not reachable yet, as the other start-up work does; then waits
/// for shutdown like the other services.
public struct SecondFactorKeyCheck: Service {
    let store: any MFAStore
    let logger: Logger

    public init(store: any MFAStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func run() async throws {
        var delay: Duration = .milliseconds(200)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                if try await self.store.anyFactorExists() {
                    throw ConfigurationError(
                        variable: "MFA_ENCRYPTION_KEY",
                        reason: "is required: accounts have a second factor, sealed under it (set the key they were enrolled with)"
                    )
                }
                break
            } catch let error as ConfigurationError {
                throw error
            } catch {
                self.logger.warning("second-factor check: database unavailable, retrying", metadata: ["delay": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        try? await gracefulShutdown()
    }
}
