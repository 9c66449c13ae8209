import IdentityService
import Logging

extension PostgresPool {
    /// The one connection a one-shot subcommand (migrate, import-users, create-superuser) needs:
    /// libpq still runs on a pool thread, as everywhere else.
    static func forCommand(_ configuration: IdentityConfiguration, logger: Logger) -> PostgresPool {
        PostgresPool(
            url: configuration.databaseURL,
            size: 1,
            blockingPool: BlockingPool(threads: 1, maximumPending: 4),
            logger: logger
        )
    }
}
