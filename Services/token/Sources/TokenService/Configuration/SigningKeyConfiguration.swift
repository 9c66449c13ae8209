public import ServiceConfiguration

/// Where the access tokens' keys come from: `JWT_ALGORITHM` and, for it, `ACCESS_SECRET`
/// (HS256), one PEM file (`JWT_PRIVATE_KEY_FILE`) or a key directory with rotation
/// (`JWT_KEY_DIR`). Read by `serve` and by the key commands alike.
public struct SigningKeyConfiguration: Sendable {
    public enum Source: Sendable {
        /// HS256 with this secret.
        case secret(String)
        /// One asymmetric key, fixed for the process's life.
        case file(SigningKey)
        /// Asymmetric keys that rotate, shared by the instances.
        case directory(KeyDirectory)
    }

    public var algorithm: SigningAlgorithm
    public var source: Source
    /// Seconds between two reads of the key directory (`JWT_KEY_RELOAD_SECONDS`, 10).
    public var reloadSeconds: Int
    /// The access tokens' lifetime in seconds (`ACCESS_TOKEN_EXPIRE_M`).
    public var accessTokenSeconds: Int

    public init(environment: EnvironmentReader) throws(ConfigurationError) {
        let name = try environment.choice("JWT_ALGORITHM", default: "hs256", from: SigningAlgorithm.allCases.map { $0.rawValue.lowercased() })
        self.algorithm = SigningAlgorithm.allCases.first { $0.rawValue.lowercased() == name } ?? .hs256
        self.accessTokenSeconds = try environment.integer("ACCESS_TOKEN_EXPIRE_M", default: 15, in: 1...1440) * 60
        self.reloadSeconds = try environment.integer("JWT_KEY_RELOAD_SECONDS", default: 10, in: 1...3600)
        let file = environment.optional("JWT_PRIVATE_KEY_FILE")
        let directory = environment.optional("JWT_KEY_DIR")
        switch (self.algorithm, file, directory) {
        case (.hs256, .some, _):
            throw ConfigurationError(variable: "JWT_PRIVATE_KEY_FILE", reason: "is for EdDSA or ES256; HS256 signs with ACCESS_SECRET")
        case (.hs256, _, .some):
            throw ConfigurationError(variable: "JWT_KEY_DIR", reason: "is for EdDSA or ES256; HS256 signs with ACCESS_SECRET")
        case (.hs256, .none, .none):
            self.source = .secret(try environment.secret("ACCESS_SECRET"))
        case (_, .some, .some):
            throw ConfigurationError(
                variable: "JWT_KEY_DIR",
                reason: "set JWT_PRIVATE_KEY_FILE (one fixed key) or JWT_KEY_DIR (rotating keys), not both"
            )
        case (_, .some(let path), .none):
            guard let pem = EnvironmentReader.readFile(path, limit: 64 * 1024) else {
                throw ConfigurationError(variable: "JWT_PRIVATE_KEY_FILE", reason: "cannot read the file \(path)")
            }
            do {
                self.source = .file(try SigningKey(pem: pem, algorithm: self.algorithm))
            } catch {
                throw ConfigurationError(variable: "JWT_PRIVATE_KEY_FILE", reason: "\(path) is not a \(self.algorithm.rawValue) private key in PEM")
            }
        case (_, .none, .some(let path)):
            self.source = .directory(KeyDirectory(path: path, algorithm: self.algorithm))
        case (_, .none, .none):
            throw ConfigurationError(
                variable: "JWT_KEY_DIR",
                reason: "JWT_ALGORITHM=\(self.algorithm.rawValue) needs JWT_KEY_DIR (rotating keys, made on first start) or JWT_PRIVATE_KEY_FILE"
            )
        }
    }

    /// How long a rotated-in key is published before it signs: two reloads and a second, so every
    /// instance has read it before any token carries it.
    public var activationDelay: Double { Double(2 * self.reloadSeconds + 1) }

    /// How long a replaced key keeps verifying after its successor activates: the longest an
    /// access token lives, the verifier's 30 s of leeway, and a minute of clock skew.
    public var verificationWindow: Double { Double(self.accessTokenSeconds + 30 + 60) }

    /// Seconds a copy of the JWKS may be kept: keys that rotate are published a reload interval
    /// plus a second before they sign, so a copy this old still holds the next key in time;
    /// fixed keys, an hour.
    public var publicKeysMaxAge: Int {
        if case .directory = self.source { return self.reloadSeconds }
        return 3600
    }

    /// The keys at start; a key directory without keys gets its first one.
    public func initialKeySet(now: Double) throws(ConfigurationError) -> KeySet {
        switch self.source {
        case .secret(let secret): return KeySet(SigningKey(hmacSecret: secret))
        case .file(let key): return KeySet(key)
        case .directory(let directory):
            do {
                return try directory.prepare(now: now)
            } catch {
                throw ConfigurationError(variable: "JWT_KEY_DIR", reason: error.description)
            }
        }
    }
}
