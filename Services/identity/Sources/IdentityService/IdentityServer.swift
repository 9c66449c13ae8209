public import Logging
public import ServiceLifecycle
import NIOSSL
import WireProtocol
public import WireTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The identity process, assembled: blocking pool, PostgreSQL pool, operations and wire server.
///
/// `serve` runs ``services`` in a `ServiceGroup` in this order, so graceful shutdown stops the
/// server first (in-flight requests finish) and the pool's threads last.
public struct IdentityServer: Sendable {
    public let configuration: IdentityConfiguration
    public let blockingPool: BlockingPool
    public let hashingPool: BlockingPool
    public let postgres: PostgresPool
    public let wireServer: WireServer
    public let auditLog: AuditLog
    let startupServices: [any Service]
    /// The user change listener, when `USER_CACHE_SIZE` is not 0.
    let listeners: [any Service]
    /// With mail set up: the challenge requests' worker, the courier and the janitor.
    let mailServices: [any Service]

    public init(configuration: IdentityConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.hashingPool = BlockingPool(
            name: "password_hashing",
            threads: configuration.hashingThreads,
            maximumPending: configuration.hashingQueueLimit,
            completionGroup: configuration.hashingCompletionGroup,
            maximumWait: configuration.hashingQueueWaitMilliseconds > 0 ? .milliseconds(configuration.hashingQueueWaitMilliseconds) : nil
        )
        self.blockingPool = BlockingPool(name: "postgres", threads: configuration.blockingThreads, maximumPending: configuration.blockingQueueLimit)
        self.postgres = PostgresPool(
            url: configuration.databaseURL,
            size: configuration.databasePoolSize,
            blockingPool: self.blockingPool,
            logger: logger
        )
        let readiness = IdentityReadiness(pool: self.postgres, instance: "identity/\(getpid())")
        var dispatcher = OperationDispatcher(ready: readiness.check)
        self.auditLog = AuditLog(store: PostgresAuditStore(pool: self.postgres), logger: logger)
        let users: any UserStore
        if configuration.userCacheSize > 0 {
            let cache = UserCache(capacity: configuration.userCacheSize, lifetime: .seconds(configuration.userCacheSeconds))
            users = CachedUserStore(base: PostgresUserStore(pool: self.postgres), cache: cache)
            self.listeners = [UserChangeListener(url: configuration.databaseURL, cache: cache, logger: logger)]
        } else {
            users = PostgresUserStore(pool: self.postgres)
            self.listeners = []
        }
        let hasher = Argon2PasswordHasher(backend: configuration.argon2Backend, parameters: configuration.argon2)
        var accountMail: AccountMail?
        var challengeRequests: ChallengeRequests?
        if let settings = configuration.mail {
            let seal = MailSeal(secret: configuration.apiKeySecret)
            let challenges = PostgresChallengeStore(pool: self.postgres, seal: seal)
            let outbox = PostgresMailOutbox(pool: self.postgres, seal: seal)
            let limits = PostgresMailSendLimits(pool: self.postgres)
            let mail = AccountMail(
                challenges: challenges,
                outbox: outbox,
                limits: limits,
                templates: settings.templates,
                settings: settings,
                secret: configuration.apiKeySecret
            )
            let requests = ChallengeRequests(users: users, mail: mail, audit: self.auditLog, logger: logger)
            (accountMail, challengeRequests) = (mail, requests)
            self.mailServices = [
                requests,
                MailCourier(outbox: outbox, transport: Self.transport(settings), logger: logger),
                AccountMailJanitor(challenges: challenges, outbox: outbox, limits: limits, logger: logger),
            ]
        } else {
            self.mailServices = []
        }
        let operations = try IdentityOperations(
            users: users,
            apiKeys: PostgresAPIKeyStore(pool: self.postgres),
            apiKeySecret: configuration.apiKeySecret,
            audit: self.auditLog,
            hasher: hasher,
            hashingPool: self.hashingPool,
            rules: configuration.registration,
            lockout: configuration.lockout,
            accountMail: accountMail,
            challengeRequests: challengeRequests,
            emailVerification: configuration.emailVerification,
            secondFactor: configuration.mfaEncryptionKey.map { [postgres = self.postgres] in
                SecondFactor(secret: $0, store: PostgresMFAStore(pool: postgres), issuer: configuration.mfaIssuer)
            }
        )
        var startupServices: [any Service] = []
        if let admin = configuration.bootstrapAdmin {
            let bootstrap = SuperuserBootstrap(users: users, hasher: hasher, hashingPool: self.hashingPool, rules: configuration.registration)
            startupServices.append(AdminBootstrapService(bootstrap: bootstrap, admin: admin, logger: logger))
        }
        if configuration.mfaEncryptionKey == nil {
            startupServices.append(SecondFactorKeyCheck(store: PostgresMFAStore(pool: self.postgres), logger: logger))
        }
        self.startupServices = startupServices
        operations.register(in: &dispatcher)
        self.wireServer = WireServer(
            configuration: .init(
                address: configuration.socket,
                maximumFrameLength: configuration.maximumFrameLength,
                security: configuration.backendSecurity
            ),
            dispatcher: dispatcher,
            logger: logger
        )
    }

    /// The services to run, in dependency order (shutdown runs backwards: the server stops
    /// taking work, then the mail services finish what they hold, then the user change
    /// listener, then the audit log writes what is queued, then the pools stop).
    public var services: [any Service] {
        [self.blockingPool, self.hashingPool, self.auditLog] + self.listeners + self.mailServices + self.startupServices + [self.wireServer]
    }

    /// Where the courier hands messages: an SMTP server or a directory.
    static func transport(_ settings: MailSettings) -> any MailTransport {
        switch settings.endpoint {
        case .smtp(let server):
            SMTPClient(server: server, trustRoots: settings.caFile.map { .file($0) } ?? .default, clientName: settings.messageIDDomain)
        case .file(let directory):
            MailDirectory(path: directory)
        }
    }
}
