public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// Builds the gateway's HTTP application: routes, middleware and the backend pools as services.
///
/// Used by `gateway serve` and by tests alike; tests may pass their own backends.
public func buildApplication(
    configuration: GatewayConfiguration,
    backends: Backends,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    GatewayLimits.maximumBodyBytes.store(configuration.maximumBodyBytes, ordering: .relaxed)
    let router = Router(context: GatewayRequestContext.self)
    let routes = RouteTable()
    // Middleware applies to the routes added after it: add it first.
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: DetailErrorMiddleware(routes: routes))
    let registrar = RouteRegistrar(router: router, table: routes)
    HealthRoutes(backends: backends).register(in: registrar)
    AuthRoutes(identity: backends.identityClient, token: backends.tokenClient, cookie: configuration.refreshCookie)
        .register(in: registrar)
    return Application(
        router: router,
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        services: backends.services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}
