public import NIOCore
public import ServiceConfiguration
public import WireTransport

/// Everything the identity process reads from its environment, parsed and checked once at start.
public struct IdentityConfiguration: Sendable {
    /// Where identity listens (`IDENTITY_SOCKET`).
    public var socket: WireEndpointAddress
    /// Who may call (`BACKEND_ALLOWED_UIDS`) and the mutual TLS of TCP (`BACKEND_TLS_*`).
    public var backendSecurity: BackendSecurity
    /// The PostgreSQL URL (`DATABASE_URL`), with the seed's `+asyncpg` driver suffix removed.
    public var databaseURL: String
    /// Connections to PostgreSQL (`DATABASE_POOL_SIZE`).
    public var databasePoolSize: Int
    /// Threads for libpq calls (`BLOCKING_THREADS`, default: the pool size).
    public var blockingThreads: Int
    /// libpq work admitted at once before "overloaded" (`BLOCKING_QUEUE_LIMIT`).
    public var blockingQueueLimit: Int
    /// The Argon2id implementation (`ARGON2_BACKEND`: `libsodium`, the default, or `libargon2`).
    public var argon2Backend: Argon2PasswordHasher.Backend
    /// `ARGON2_MEMORY_KIB` (19456), `ARGON2_ITERATIONS` (2), `ARGON2_PARALLELISM` (1): OWASP's defaults.
    public var argon2: Argon2Parameters
    /// Threads hashing passwords (`HASHING_THREADS`, default: the cores).
    public var hashingThreads: Int
    /// Hashes admitted at once, running or waiting (`HASHING_QUEUE_LIMIT`); beyond it login and
    /// register answer "overloaded" at once.
    public var hashingQueueLimit: Int
    /// Once hashes queue, the longest a new one may be expected to wait for a thread, in milliseconds
    /// (`HASHING_QUEUE_WAIT_MS`, 300; 0: no bound but the count); beyond it login and register
    /// answer "overloaded" at once. The expectation follows the machine: recent hash times.
    public var hashingQueueWaitMilliseconds: Int
    /// While hashes wait for a thread, the most finished ones handed back together
    /// (`HASHING_COMPLETION_GROUP`, default four per hashing thread; 1 hands each back at once).
    public var hashingCompletionGroup: Int
    /// `MAX_LOGIN_ATTEMPTS` (5) and `LOCKOUT_DURATION_MINUTES` (30).
    public var lockout: LockoutPolicy
    /// `PASSWORD_MIN_LENGTH` (8), `PASSWORD_MAX_LENGTH` (128), `PASSWORD_REQUIRE_SPECIAL` (false).
    public var registration: RegistrationRules
    /// The largest frame between processes (`MAX_FRAME_BYTES`).
    public var maximumFrameLength: Int
    /// The key of the API keys' HMAC (`API_KEY_SECRET` or `API_KEY_SECRET_FILE`, at least 32
    /// characters). Changing it invalidates every API key. Empty for the one-shot subcommands,
    /// which do not need it.
    public var apiKeySecret: String
    /// Users kept in memory for `getUser`, answered while PostgreSQL's change notifications are
    /// followed (`USER_CACHE_SIZE`, 10000; 0 turns the cache off).
    public var userCacheSize: Int
    /// How long a kept user is trusted at most (`USER_CACHE_SECONDS`, 60).
    public var userCacheSeconds: Int
    /// The first super admin, created at start when absent (`BOOTSTRAP_ADMIN_USERNAME`,
    /// `BOOTSTRAP_ADMIN_EMAIL`, `BOOTSTRAP_ADMIN_PASSWORD` or `BOOTSTRAP_ADMIN_PASSWORD_FILE`:
    /// all or none).
    public var bootstrapAdmin: BootstrapAdmin?
    /// The account's mail (`MAIL_URL` and the rest, ``MailSettings``); `nil`: no mail.
    public var mail: MailSettings?
    /// `EMAIL_VERIFICATION`: `optional` by default when mail is set up, `off` without it.
    public var emailVerification: EmailVerification
    /// The key the second factor's secrets are sealed under (`MFA_ENCRYPTION_KEY` or `_FILE`, at
    /// least 32 characters, unlike every other secret); `nil`: no second factor.
    public var mfaEncryptionKey: String?
    /// The issuer authenticator apps show beside the account (`MFA_ISSUER`, `auth-service`).
    public var mfaIssuer: String

    public struct BootstrapAdmin: Sendable {
        public var username: String
        public var email: String
        public var password: String
    }

    /// - Parameter serving: whether the configuration is for `identity serve`, which alone needs
    ///   `API_KEY_SECRET` and reads `BOOTSTRAP_ADMIN_*`.
    public init(environment: EnvironmentReader, serving: Bool = true, cores: Int = System.coreCount) throws(ConfigurationError) {
        let socketText = environment.string("IDENTITY_SOCKET", default: "/run/auth/identity.sock")
        guard let socket = WireEndpointAddress(parsing: socketText) else {
            throw ConfigurationError(variable: "IDENTITY_SOCKET", reason: "must be a socket path or tcp://host:port")
        }
        self.socket = socket
        self.backendSecurity = try BackendSecurity(environment: environment)
        try self.backendSecurity.check(socket, variable: "IDENTITY_SOCKET")
        self.databaseURL = try Self.postgresURL(environment.requireValueOrFile("DATABASE_URL"))
        self.databasePoolSize = try environment.integer("DATABASE_POOL_SIZE", default: 8, in: 1...200)
        self.blockingThreads = try environment.integer("BLOCKING_THREADS", default: self.databasePoolSize, in: 1...256)
        self.blockingQueueLimit = try environment.integer("BLOCKING_QUEUE_LIMIT", default: 1024, in: 1...100_000)
        let backendName = try environment.choice(
            "ARGON2_BACKEND",
            default: "libsodium",
            from: Argon2PasswordHasher.Backend.allCases.map(\.rawValue)
        )
        self.argon2Backend = Argon2PasswordHasher.Backend(rawValue: backendName) ?? .libsodium
        self.argon2 = Argon2Parameters(
            memoryKiB: try environment.integer("ARGON2_MEMORY_KIB", default: 19456, in: 8...4_194_304),
            iterations: try environment.integer("ARGON2_ITERATIONS", default: 2, in: 1...100),
            parallelism: try environment.integer("ARGON2_PARALLELISM", default: 1, in: 1...64)
        )
        if !self.argon2.meetsOWASPMinimum, !(try environment.boolean("ARGON2_ALLOW_WEAK", default: false)) {
            throw ConfigurationError(
                variable: "ARGON2_MEMORY_KIB",
                reason: "m=\(self.argon2.memoryKiB) KiB with t=\(self.argon2.iterations) is below OWASP's minimums "
                    + "(19456 KiB with 2 passes, or 47104/1, 12288/3, 9216/4, 7168/5); ARGON2_ALLOW_WEAK=true allows it for tests"
            )
        }
        if self.argon2Backend == .libsodium && self.argon2.parallelism != 1 {
            throw ConfigurationError(
                variable: "ARGON2_PARALLELISM",
                reason: "libsodium hashes with one lane only; set ARGON2_PARALLELISM=1 or ARGON2_BACKEND=libargon2"
            )
        }
        self.hashingThreads = try environment.integer("HASHING_THREADS", default: max(1, cores), in: 1...256)
        self.hashingQueueLimit = try environment.integer("HASHING_QUEUE_LIMIT", default: max(1, cores) * 16, in: 1...100_000)
        self.hashingCompletionGroup = try environment.integer("HASHING_COMPLETION_GROUP", default: 4 * self.hashingThreads, in: 1...1024)
        self.hashingQueueWaitMilliseconds = try environment.integer("HASHING_QUEUE_WAIT_MS", default: 300, in: 0...600_000)
        self.lockout = LockoutPolicy(
            maximumAttempts: try environment.integer("MAX_LOGIN_ATTEMPTS", default: 5, in: 1...1000),
            durationSeconds: Double(try environment.integer("LOCKOUT_DURATION_MINUTES", default: 30, in: 1...525_600)) * 60
        )
        let minimum = try environment.integer("PASSWORD_MIN_LENGTH", default: 8, in: 1...128)
        let maximum = try environment.integer("PASSWORD_MAX_LENGTH", default: 128, in: 8...1024)
        guard minimum <= maximum else {
            throw ConfigurationError(variable: "PASSWORD_MIN_LENGTH", reason: "must not exceed PASSWORD_MAX_LENGTH (\(maximum))")
        }
        var denylist = PasswordDenylist.shipped
        if let path = environment.optional("PASSWORD_DENYLIST_FILE") {
            guard let text = EnvironmentReader.readFile(path, limit: 64 << 20) else {
                throw ConfigurationError(variable: "PASSWORD_DENYLIST_FILE", reason: "cannot read \(path) (one password a line, at most 64 MiB)")
            }
            denylist = PasswordDenylist(extra: text.split(separator: "\n"))
        }
        self.registration = RegistrationRules(
            passwordMinimumLength: minimum,
            passwordMaximumLength: maximum,
            requireSpecialCharacter: try environment.boolean("PASSWORD_REQUIRE_SPECIAL", default: false),
            denylist: denylist
        )
        self.userCacheSize = try environment.integer("USER_CACHE_SIZE", default: 10_000, in: 0...10_000_000)
        self.userCacheSeconds = try environment.integer("USER_CACHE_SECONDS", default: 60, in: 1...86_400)
        self.maximumFrameLength = try environment.integer("MAX_FRAME_BYTES", default: 1 << 20, in: 4096...(64 << 20))
        self.apiKeySecret = serving ? try environment.secret("API_KEY_SECRET") : ""
        if serving { try environment.requireDistinct() }
        // An empty value (an empty secret file) turns the second factor off, as for mail.
        let mfaKeyGiven = !(try environment.valueOrFile("MFA_ENCRYPTION_KEY") ?? "").isEmpty
        self.mfaEncryptionKey = serving && mfaKeyGiven ? try environment.secret("MFA_ENCRYPTION_KEY") : nil
        self.mfaIssuer = environment.string("MFA_ISSUER", default: "auth-service")
        guard (1...64).contains(self.mfaIssuer.count), !self.mfaIssuer.contains(":"), self.mfaIssuer.allSatisfy({ !$0.isNewline }) else {
            throw ConfigurationError(variable: "MFA_ISSUER", reason: "must be 1 to 64 characters without a colon (apps split the label at it)")
        }
        self.bootstrapAdmin = serving ? try Self.bootstrapAdmin(environment, rules: self.registration) : nil
        self.mail = serving ? try MailSettings.read(environment) : nil
        let verification = try environment.choice(
            "EMAIL_VERIFICATION",
            default: self.mail == nil ? "off" : "optional",
            from: EmailVerification.allCases.map(\.rawValue)
        )
        self.emailVerification = EmailVerification(rawValue: verification) ?? .off
        if serving, self.mail == nil, self.emailVerification != .off {
            throw ConfigurationError(variable: "MAIL_URL", reason: "is required with EMAIL_VERIFICATION=\(verification): messages must be sent")
        }
    }

    /// All three `BOOTSTRAP_ADMIN_*` values or none; a weak password or a bad name stops the start.
    static func bootstrapAdmin(_ environment: EnvironmentReader, rules: RegistrationRules) throws(ConfigurationError) -> BootstrapAdmin? {
        let username = environment.optional("BOOTSTRAP_ADMIN_USERNAME")
        let email = environment.optional("BOOTSTRAP_ADMIN_EMAIL")
        let password = try environment.valueOrFile("BOOTSTRAP_ADMIN_PASSWORD")
        if username == nil && email == nil && password == nil { return nil }
        guard let username else {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_USERNAME", reason: "is required with the other BOOTSTRAP_ADMIN_* variables")
        }
        guard let email else {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_EMAIL", reason: "is required with the other BOOTSTRAP_ADMIN_* variables")
        }
        guard let password else {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_PASSWORD", reason: "is required with the other BOOTSTRAP_ADMIN_* variables")
        }
        do {
            try rules.checkUsername(username)
        } catch {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_USERNAME", reason: "\(error.wireMessage)")
        }
        let normalized: String
        do {
            normalized = try rules.normalizedEmail(email)
        } catch {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_EMAIL", reason: "\(error.wireMessage)")
        }
        do {
            try rules.checkPassword(password, username: username, email: normalized)
        } catch {
            throw ConfigurationError(variable: "BOOTSTRAP_ADMIN_PASSWORD", reason: "\(error.wireMessage)")
        }
        return BootstrapAdmin(username: username, email: normalized, password: password)
    }

    /// Accepts `postgresql://`, `postgres://` and the seed's `postgresql+asyncpg://` forms.
    static func postgresURL(_ text: String) throws(ConfigurationError) -> String {
        for scheme in ["postgresql+asyncpg://", "postgres+asyncpg://", "postgresql://", "postgres://"] where text.hasPrefix(scheme) {
            let rest = text.dropFirst(scheme.count)
            guard !rest.isEmpty else { break }
            return "postgresql://" + rest
        }
        throw ConfigurationError(variable: "DATABASE_URL", reason: "must start with postgresql:// (or postgresql+asyncpg://)")
    }
}
