import Foundation
public import Hummingbird
public import Logging
import NIOCore
import ServiceLifecycle

/// Builds the gateway's HTTP application: routes, middleware and the backend pools as services.
///
/// Used by `gateway serve` and by tests alike; tests may pass their own backends.
public func buildApplication(
    configuration: GatewayConfiguration,
    backends: Backends,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    var (router, _, services) = buildRouter(configuration: configuration, backends: backends, logger: logger)
    if configuration.tls != nil, configuration.publicURL == nil {
        logger.warning(
            "PUBLIC_URL is unset: the discovery document names each request's own Host, and no cache may keep it; set PUBLIC_URL to the address clients reach"
        )
    }
    if let metricsPort = configuration.metricsPort {
        // A listener of its own, so Prometheus reaches it and the internet does not.
        let metricsRouter = Router(context: GatewayRequestContext.self)
        MetricsRoutes(backends: backends).register(in: RouteRegistrar(router: metricsRouter, table: RouteTable()))
        // Its own "listening on" line would read like the public server's: it says "metrics on".
        var quietLogger = logger
        quietLogger.logLevel = max(logger.logLevel, .warning)
        let metricsServer = Application(
            router: metricsRouter,
            configuration: .init(address: .hostname(configuration.metricsHost, port: metricsPort), serverName: nil),
            onServerRunning: { channel in
                logger.info("metrics on \(channel.localAddress.map { "\($0)" } ?? "?")")
            },
            logger: quietLogger
        )
        services.append(metricsServer)
    }
    return Application(
        router: router,
        server: GatewayServer.builder(configuration),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port),
            serverName: nil
        ),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}

/// The router with every middleware and route, the table of its routes, and the services the
/// routes need running (backend pools, the audit queue, the revocation retrier).
func buildRouter(
    configuration: GatewayConfiguration,
    backends: Backends,
    logger: Logger
) -> (Router<GatewayRequestContext>, RouteTable, [any Service]) {
    let router = Router(context: GatewayRequestContext.self)
    let routes = RouteTable()
    // Middleware applies to the routes added after it: add it first. The first added is the
    // outermost: security headers land on every answer, CORS preflights are answered before any
    // limit or route, limits are checked before anything is read.
    router.add(
        middleware: SecurityHeadersMiddleware(
            uncachedPrefixes: ["/api/"] + (configuration.authRouter.prefix.map { [$0 + "/"] } ?? []),
            strictTransportSecurity: configuration.tls != nil
        )
    )
    // Requests by route, method and status, with their latency: every answer, preflights included;
    // a method no route can have is refused here, before any label is made of it.
    router.add(middleware: RequestMetricsMiddleware())
    router.add(middleware: CORSMiddleware(origins: configuration.corsOrigins))
    router.add(middleware: RequestContextMiddleware(trustedProxies: configuration.rateLimits.trustedProxies))
    // At debug level, a line per request with its request and trace ids (no query, no headers:
    // they hold tokens); at any other level the middleware is left out, so no request pays for it.
    if logger.logLevel <= .debug { router.add(middleware: RequestLogMiddleware()) }
    router.add(middleware: DetailErrorMiddleware(routes: routes))
    router.add(
        middleware: RequestLimitsMiddleware(
            maximumBodyBytes: configuration.maximumBodyBytes,
            maximumHeaderBytes: configuration.maximumHeaderBytes
        )
    )
    let registrar = RouteRegistrar(router: router, table: routes)
    HealthRoutes(backends: backends, logger: logger).register(in: registrar)
    let identity = backends.identityClient
    let token = backends.tokenClient
    let limits = RateLimits(configuration: configuration.rateLimits, token: token)
    let audit = AuditReporter(identity: identity, logger: logger)
    let changes = SessionChangeRetrier(identity: identity, token: token, logger: logger)
    let sessions = Sessions(identity: identity, token: token, limits: limits, audit: audit, changes: changes)
    let registration = Registration(identity: identity, limits: limits)
    let authenticator = Authenticator(identity: identity, token: token, limits: limits, locations: configuration.tokenLocations)
    let cookies = configuration.sessionCookies
    let authRoutes = AuthRoutes(registration: registration, sessions: sessions, authenticator: authenticator, cookies: cookies, limits: limits)
    authRoutes.register(in: registrar)
    OAuthRoutes(identity: identity, sessions: sessions, authenticator: authenticator, cookies: cookies, limits: limits).register(in: registrar)
    ProfileRoutes(identity: identity, sessions: sessions, authenticator: authenticator, limits: limits).register(in: registrar)
    AccountEmailRoutes(identity: identity, sessions: sessions, limits: limits).register(in: registrar)
    AccountPageRoutes().register(in: registrar)
    APIKeyRoutes(identity: identity, authenticator: authenticator, limits: limits).register(in: registrar)
    AdminRoutes(identity: identity, sessions: sessions, authenticator: authenticator, limits: limits).register(in: registrar)
    SessionRoutes(token: token, authenticator: authenticator, limits: limits, audit: audit).register(in: registrar)
    DiscoveryRoutes(token: token, publicURL: configuration.publicURL, scheme: configuration.tls != nil ? "https" : "http").register(in: registrar)
    if configuration.metricsPublic {
        MetricsRoutes(backends: backends).register(in: registrar)
    }
    if configuration.openAPIEnabled {
        let prefix = configuration.authRouter.prefix
        let document = EncodedDocument(logger: logger) { try APIDocument.json(authRouterPrefix: prefix) }
        DocumentationRoutes(document: document, assetsDirectory: configuration.viewerAssetsDirectory, logger: logger).register(in: registrar)
    }
    let authKitRoutes = configuration.authRouter.prefix.map { prefix in
        AuthKitRoutes(
            prefix: prefix,
            registration: registration,
            sessions: sessions,
            authenticator: authenticator,
            cookies: cookies,
            limits: limits,
            setCookies: configuration.authRouter.setCookieOnLogin
        )
    }
    authKitRoutes?.register(in: registrar)
    // The second step of a login answers as its first step's route would have.
    MFARoutes(identity: identity, sessions: sessions, authenticator: authenticator, limits: limits) { route, pair, decision in
        switch route {
        case .token: OAuthRoutes.tokenResponse(pair, rateLimit: decision)
        case .auth:
            authKitRoutes.map { $0.tokenResponse(pair, rateLimit: decision, setCookies: $0.setCookies) }
                ?? authRoutes.tokenResponse(pair, rateLimit: decision)
        case .login: authRoutes.tokenResponse(pair, rateLimit: decision)
        }
    }
    .register(in: registrar)
    return (router, routes, backends.services + [audit, changes])
}
