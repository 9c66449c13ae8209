public import Logging
public import ServiceLifecycle

/// Creates the `BOOTSTRAP_ADMIN_*` super admin at start when absent.
///
/// Retries while PostgreSQL is not reachable yet (a container stack starts everything at once);
/// idempotent and safe with several identity instances starting together (the unique indexes
/// decide, the loser finds the user there). Then it waits for shutdown like the other services.
public struct AdminBootstrapService: Service {
    let bootstrap: SuperuserBootstrap
    let admin: IdentityConfiguration.BootstrapAdmin
    let logger: Logger

    public init(bootstrap: SuperuserBootstrap, admin: IdentityConfiguration.BootstrapAdmin, logger: Logger) {
        self.bootstrap = bootstrap
        self.admin = admin
        self.logger = logger
    }

    public func run() async throws {
        var delay: Duration = .milliseconds(200)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                switch try await self.bootstrap.create(username: self.admin.username, email: self.admin.email, password: self.admin.password) {
                case .created(let id):
                    self.logger.notice("bootstrap admin created", metadata: ["user_id": "\(id)", "username": "\(self.admin.username)"])
                case .exists:
                    self.logger.info("bootstrap admin exists already", metadata: ["username": "\(self.admin.username)"])
                }
                break
            } catch IdentityError.databaseUnavailable {
                self.logger.warning("bootstrap admin: database unavailable, retrying", metadata: ["delay": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            } catch {
                self.logger.error("bootstrap admin not created", metadata: ["error": "\(error)"])
                break
            }
        }
        try? await gracefulShutdown()
    }
}
