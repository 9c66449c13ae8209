public import ServiceConfiguration
public import ArgumentParser
public import Logging
public import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What every executable does before it serves: read its configuration once and, when it is
/// wrong, say which variable and why, then exit non-zero.
public enum ServiceEntryPoint {
    /// Runs `load`; a ``ConfigurationError`` is printed as `service: configuration error: VAR: reason`
    /// and becomes exit code 78 (EX_CONFIG).
    public static func loadConfiguration<Configuration>(
        service: String,
        _ load: () throws -> Configuration
    ) throws -> Configuration {
        do {
            return try load()
        } catch let error as ConfigurationError {
            StandardError.write("\(service): \(error)\n")
            throw ExitCode(78)
        }
    }

    /// The same for set-up that reads files or waits (a key directory made on first start).
    public static func loadConfiguration<Configuration>(
        service: String,
        _ load: () async throws -> Configuration
    ) async throws -> Configuration {
        do {
            return try await load()
        } catch let error as ConfigurationError {
            StandardError.write("\(service): \(error)\n")
            throw ExitCode(78)
        }
    }
}

extension ServiceEntryPoint {
    /// Runs `services` in one `ServiceGroup` until SIGTERM or SIGINT, then shuts them down
    /// gracefully in reverse order: servers stop taking work first, pools close last.
    public static func run(services: [any Service], logger: Logger) async throws {
        // Last, so the first told: its line marks when the stop began.
        var configuration = ServiceGroupConfiguration(
            services: (services + [StopNotice(logger: logger)]).map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        // Below a container's default 10 s stop timeout, so we exit before being killed.
        configuration.maximumGracefulShutdownDuration = .seconds(8)
        let group = ServiceGroup(configuration: configuration)
        let started = ContinuousClock.now
        try await group.run()
        logger.info("every service stopped", metadata: ["uptime_s": "\((ContinuousClock.now - started).components.seconds)"])
    }
}

/// Logs the moment a stop was asked for (SIGTERM, SIGINT), so a slow stop shows in the log.
struct StopNotice: Service {
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        self.logger.info("stop requested")
    }
}

extension ServiceEntryPoint {
    /// What every subcommand that needs configuration does first: read the environment once,
    /// parse the configuration and `LOG_LEVEL` (exiting 78 naming a wrong variable), and set up logging
    /// and metrics.
    public static func bootstrap<Configuration>(
        service: String,
        _ parse: (EnvironmentReader) throws -> Configuration
    ) throws -> (Configuration, Logger) {
        let environment = EnvironmentReader.process()
        let (configuration, level) = try self.loadConfiguration(service: service) {
            (try parse(environment), try LoggingBootstrap.level(from: environment))
        }
        LoggingBootstrap.bootstrap(service: service, level: level)
        // Before any component makes its instruments: those made earlier would record nowhere.
        ProcessMetrics.bootstrap()
        return (configuration, Logger(label: service))
    }
}
