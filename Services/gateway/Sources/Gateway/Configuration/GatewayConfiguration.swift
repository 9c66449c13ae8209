import Foundation
public import ServiceConfiguration
public import WireTransport
public import NIOSSL

/// Everything the gateway reads from its environment, parsed and checked once at start.
///
/// The gateway holds no secret and no database URL: it reads only what it needs to serve HTTP
/// and reach the backends.
public struct GatewayConfiguration: Sendable {
    /// The address to listen on (`HOST`, 127.0.0.1).
    public var host: String
    /// The port (`PORT`, 8000; 0 picks a free one).
    public var port: Int
    /// The identity instances (`IDENTITY_SOCKETS`, comma-separated; or `IDENTITY_SOCKET`).
    public var identitySockets: [WireEndpointAddress]
    /// The token instances (`TOKEN_SOCKETS`, comma-separated), or
    public var tokenSockets: [WireEndpointAddress]
    /// a directory whose `*.sock` files are the token instances (`TOKEN_SOCKET_DIR`), followed as they come and go.
    public var tokenSocketDirectory: String?
    /// How long a backend call may take (`BACKEND_TIMEOUT_MS`, 5000).
    public var backendTimeoutMilliseconds: Int
    /// The users the backends' sockets may belong to (`BACKEND_ALLOWED_UIDS`) and the mutual TLS
    /// of `tcp://` backends (`BACKEND_TLS_*`).
    public var backendSecurity: BackendSecurity
    /// The largest request body read (`MAX_BODY_BYTES`, 64 KiB).
    public var maximumBodyBytes: Int
    /// All request headers together may not exceed this (`MAX_HEADER_BYTES`, 16 KiB): 431 beyond.
    public var maximumHeaderBytes: Int
    /// Keep-alive connections idle this long are closed (`IDLE_TIMEOUT_SECONDS`, 60).
    public var idleTimeoutSeconds: Int
    /// Origins allowed to call with credentials (`CORS_ORIGINS`, a JSON array; `*` refused).
    public var corsOrigins: [String]
    /// Where access tokens are accepted from (`TOKEN_LOCATIONS`: `headers`, `cookies`, `body`).
    public var tokenLocations: TokenLocations
    /// Rate limits (`RATE_LIMIT_*`) and `TRUSTED_PROXIES`.
    public var rateLimits: RateLimitConfiguration
    /// The refresh cookie: `REFRESH_COOKIE_NAME` (`refresh_token`), `COOKIE_SECURE` (true),
    /// `COOKIE_SAMESITE` (`lax`), `COOKIE_PATH` (`/api/v1`, the refresh routes),
    /// `REFRESH_COOKIE_MAX_AGE`.
    public var refreshCookie: RefreshCookie
    /// Seed 003's router (`AUTH_ROUTER_PREFIX`) and its cookie settings.
    public var authRouter: AuthRouterConfiguration
    /// The service's public address, as clients reach it (`PUBLIC_URL`, e.g.
    /// `https://auth.example.com`): the base of the discovery document's URLs. When unset they
    /// are built from the request's `Host`.
    public var publicURL: String?
    /// HTTPS with HTTP/2 by ALPN (`TLS_CERT_FILE` and `TLS_KEY_FILE`, PEM); `nil` serves clear
    /// text (HTTP/1.1, and HTTP/2 to clients that start with its preface).
    public var tls: TLSConfiguration?
    /// `/openapi.json`, `/docs` (Swagger UI) and `/redoc` (`OPENAPI_ENABLED`, true).
    public var openAPIEnabled: Bool
    /// `GET /metrics` (Prometheus) on a listener of its own (`METRICS_PORT`, unset: none; 0 picks
    /// a free one) bound to `METRICS_HOST` (default: `HOST`).
    public var metricsPort: Int?
    public var metricsHost: String
    /// Also serve `/metrics` on the public port (`METRICS_PUBLIC`, false): only where nothing
    /// outside reaches it.
    public var metricsPublic: Bool
    /// Swagger UI's and ReDoc's files (`OPENAPI_ASSETS_DIR`; by default those built beside the
    /// executable, in `auth-service_Gateway.resources/Viewers`).
    public var viewerAssetsDirectory: String

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        self.host = environment.string("HOST", default: "127.0.0.1")
        self.publicURL = try environment.publicURL("PUBLIC_URL")
        self.port = try environment.integer("PORT", default: 8000, in: 0...65535)
        if let list = environment.optional("IDENTITY_SOCKETS") {
            self.identitySockets = try Self.addresses(list, variable: "IDENTITY_SOCKETS")
        } else {
            self.identitySockets = try Self.addresses(
                environment.string("IDENTITY_SOCKET", default: "/run/auth/identity.sock"),
                variable: "IDENTITY_SOCKET"
            )
        }
        self.tokenSocketDirectory = environment.optional("TOKEN_SOCKET_DIR")
        if let list = environment.optional("TOKEN_SOCKETS") {
            self.tokenSockets = try Self.addresses(list, variable: "TOKEN_SOCKETS")
        } else if self.tokenSocketDirectory != nil {
            self.tokenSockets = []
        } else {
            self.tokenSockets = try Self.addresses(environment.string("TOKEN_SOCKET", default: "/run/auth/token.sock"), variable: "TOKEN_SOCKET")
        }
        self.backendTimeoutMilliseconds = try environment.integer("BACKEND_TIMEOUT_MS", default: 5000, in: 10...120_000)
        self.backendSecurity = try BackendSecurity(environment: environment)
        for address in self.identitySockets {
            try self.backendSecurity.check(
                address,
                variable: environment.optional("IDENTITY_SOCKETS") == nil ? "IDENTITY_SOCKET" : "IDENTITY_SOCKETS"
            )
        }
        for address in self.tokenSockets {
            try self.backendSecurity.check(address, variable: environment.optional("TOKEN_SOCKETS") == nil ? "TOKEN_SOCKET" : "TOKEN_SOCKETS")
        }
        self.maximumBodyBytes = try environment.integer("MAX_BODY_BYTES", default: 64 * 1024, in: 1024...(16 << 20))
        self.maximumHeaderBytes = try environment.integer("MAX_HEADER_BYTES", default: 16 * 1024, in: 1024...(64 * 1024))
        self.idleTimeoutSeconds = try environment.integer("IDLE_TIMEOUT_SECONDS", default: 60, in: 1...3600)
        self.corsOrigins = try Self.origins(environment.optional("CORS_ORIGINS"))
        self.rateLimits = try RateLimitConfiguration(environment: environment)
        self.tokenLocations = try TokenLocations(environment: environment)
        let cookieName = environment.string("REFRESH_COOKIE_NAME", default: "refresh_token")
        guard !cookieName.isEmpty, cookieName.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && !"()<>@,;:\\\"/[]?={}".utf8.contains($0) }) else {
            throw ConfigurationError(variable: "REFRESH_COOKIE_NAME", reason: "must be a cookie name token")
        }
        let sameSite = try environment.choice("COOKIE_SAMESITE", default: "lax", from: ["lax", "strict", "none"])
        let secure = try environment.boolean("COOKIE_SECURE", default: true)
        if sameSite == "none" && !secure {
            throw ConfigurationError(variable: "COOKIE_SAMESITE", reason: "none requires COOKIE_SECURE=true (browsers drop such cookies)")
        }
        let path = environment.string("COOKIE_PATH", default: "/api/v1")
        guard path.hasPrefix("/"), !path.contains(";"), !path.contains(" ") else {
            throw ConfigurationError(variable: "COOKIE_PATH", reason: "must be a path starting with /")
        }
        self.authRouter = try AuthRouterConfiguration(environment: environment)
        self.refreshCookie = RefreshCookie(
            name: cookieName,
            secure: secure,
            sameSite: sameSite,
            path: path,
            maxAge: self.authRouter.refreshCookieMaxAge
        )
        self.tls = try Self.tls(certificate: environment.optional("TLS_CERT_FILE"), key: environment.optional("TLS_KEY_FILE"))
        self.openAPIEnabled = try environment.boolean("OPENAPI_ENABLED", default: true)
        self.metricsPort = try environment.optional("METRICS_PORT").map { _ throws(ConfigurationError) in
            try environment.integer("METRICS_PORT", default: 0, in: 0...65535)
        }
        self.metricsHost = environment.optional("METRICS_HOST") ?? self.host
        self.metricsPublic = try environment.boolean("METRICS_PUBLIC", default: false)
        if let metricsPort = self.metricsPort, metricsPort != 0, metricsPort == self.port, self.metricsHost == self.host {
            throw ConfigurationError(
                variable: "METRICS_PORT",
                reason: "must differ from PORT (set METRICS_PUBLIC=true to serve /metrics on the public port)"
            )
        }
        self.viewerAssetsDirectory = environment.optional("OPENAPI_ASSETS_DIR") ?? Self.shippedViewerAssets
        var isDirectory: ObjCBool = false
        let swaggerUI = self.viewerAssetsDirectory + "/swagger-ui/swagger-ui-bundle.js"
        if self.openAPIEnabled, !FileManager.default.fileExists(atPath: swaggerUI, isDirectory: &isDirectory) {
            throw ConfigurationError(
                variable: "OPENAPI_ASSETS_DIR",
                reason: "\(self.viewerAssetsDirectory) holds no Swagger UI; point it at the gateway's Viewers folder, or set OPENAPI_ENABLED=false"
            )
        }
    }

    /// The server's TLS from its PEM files, checked now: a certificate or key that does not load,
    /// or a key that does not match, stops the gateway at start.
    static func tls(certificate: String?, key: String?) throws(ConfigurationError) -> TLSConfiguration? {
        switch (certificate, key) {
        case (nil, nil): return nil
        case (nil, .some): throw ConfigurationError(variable: "TLS_CERT_FILE", reason: "is required with TLS_KEY_FILE")
        case (.some, nil): throw ConfigurationError(variable: "TLS_KEY_FILE", reason: "is required with TLS_CERT_FILE")
        case (.some(let certificatePath), .some(let keyPath)):
            let chain: [NIOSSLCertificate]
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            } catch {
                throw ConfigurationError(variable: "TLS_CERT_FILE", reason: "\(certificatePath) holds no PEM certificate")
            }
            guard !chain.isEmpty else { throw ConfigurationError(variable: "TLS_CERT_FILE", reason: "\(certificatePath) holds no PEM certificate") }
            let privateKey: NIOSSLPrivateKey
            do {
                privateKey = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw ConfigurationError(variable: "TLS_KEY_FILE", reason: "\(keyPath) holds no PEM private key")
            }
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) },
                privateKey: .privateKey(privateKey)
            )
            configuration.minimumTLSVersion = .tlsv12
            // TLS 1.2 only with forward secrecy and AEAD (what TLS 1.3 always has): no RSA key
            // exchange, no CBC, no SHA-1 MACs.
            configuration.cipherSuiteValues = Self.tls12CipherSuites
            configuration.applicationProtocols = ["h2", "http/1.1"]
            do {
                _ = try NIOSSLContext(configuration: configuration)
            } catch {
                throw ConfigurationError(
                    variable: "TLS_KEY_FILE",
                    reason: "does not match the certificate in TLS_CERT_FILE, or cannot be used: \(error)"
                )
            }
            return configuration
        }
    }

    /// ECDHE key exchange with AES-GCM or ChaCha20-Poly1305, for ECDSA and RSA certificates.
    static let tls12CipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// Where the build puts the viewers: the resource bundle beside the executable.
    static var shippedViewerAssets: String {
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "gateway")
        return executable.deletingLastPathComponent().appendingPathComponent("auth-service_Gateway.resources/Viewers").path
    }

    /// Every cookie the routers set, as configured.
    var sessionCookies: SessionCookies {
        SessionCookies(refresh: self.refreshCookie, locations: self.tokenLocations, accessMaxAge: self.authRouter.accessCookieMaxAge)
    }

    /// Parses the seed's JSON array form (`["https://app.example.com"]`); a comma list is accepted too.
    static func origins(_ text: String?) throws(ConfigurationError) -> [String] {
        guard let text, !text.isEmpty else { return [] }
        var origins: [String]
        if text.hasPrefix("[") {
            guard let array = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Any],
                let strings = array as? [String]
            else {
                throw ConfigurationError(variable: "CORS_ORIGINS", reason: "must be a JSON array of origin strings")
            }
            origins = strings
        } else {
            origins = text.split(separator: ",").map { String($0).filter { !$0.isWhitespace } }
        }
        origins = origins.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.filter { !$0.isEmpty }
        for origin in origins {
            if origin == "*" {
                throw ConfigurationError(variable: "CORS_ORIGINS", reason: "\"*\" cannot be combined with credentials; list the origins")
            }
            guard origin.hasPrefix("http://") || origin.hasPrefix("https://"), !origin.contains(" ") else {
                throw ConfigurationError(variable: "CORS_ORIGINS", reason: "\"\(origin)\" is not an http(s) origin")
            }
            // A page served over plain http can be altered on the way: only local development may
            // call with the user's credentials from one.
            if origin.hasPrefix("http://") && !Self.isLocal(origin: origin) {
                throw ConfigurationError(variable: "CORS_ORIGINS", reason: "\"\(origin)\" is plain http; only localhost may be (use https)")
            }
        }
        return origins
    }

    /// `http://localhost`, `http://127.0.0.1` or `http://[::1]`, with or without a port.
    static func isLocal(origin: String) -> Bool {
        let authority = origin.dropFirst("http://".count)
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.prefix { $0 != "]" }.dropFirst()
        } else {
            host = authority.prefix { $0 != ":" && $0 != "/" }
        }
        return ["localhost", "127.0.0.1", "::1"].contains(host.lowercased())
    }

    static func addresses(_ list: String, variable: String) throws(ConfigurationError) -> [WireEndpointAddress] {
        var addresses: [WireEndpointAddress] = []
        for item in list.split(separator: ",") {
            let text = item.filter { !$0.isWhitespace }
            guard !text.isEmpty else { continue }
            guard let address = WireEndpointAddress(parsing: text) else {
                throw ConfigurationError(variable: variable, reason: "\"\(text)\" is not a socket path or tcp://host:port")
            }
            addresses.append(address)
        }
        guard !addresses.isEmpty else { throw ConfigurationError(variable: variable, reason: "lists no instance") }
        return addresses
    }
}
