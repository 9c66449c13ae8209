import NIOSSL
public import ServiceConfiguration

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether new addresses are verified (`EMAIL_VERIFICATION`).
public enum EmailVerification: String, Sendable, CaseIterable {
    /// Registering sends nothing; an address may still be verified on request.
    case off
    /// Registering sends the verification message; an unverified account logs in.
    case optional
    /// As `optional`, and an unverified account cannot log in (403 `LOGIN_USER_NOT_VERIFIED`).
    case required
}

/// Where the account's mail goes and what it says (`MAIL_URL` or `MAIL_URL_FILE`, `MAIL_FROM`,
/// `PUBLIC_URL`, `MAIL_TEMPLATES_DIR`, `MAIL_CA_FILE`). Without `MAIL_URL` there is no mail: the email routes
/// answer 404 and `EMAIL_VERIFICATION` must be `off`.
public struct MailSettings: Sendable {
    public var endpoint: MailEndpoint
    /// The `From` header (`MAIL_FROM`: `Name <address>` or an address).
    public var from: String
    /// The address alone: the SMTP envelope's sender.
    public var envelopeFrom: String
    /// The sender's domain, for `Message-ID`.
    public var messageIDDomain: String
    /// Where the links in messages point (`PUBLIC_URL`, never a request's `Host`).
    public var publicURL: String
    public var templates: MailTemplates
    /// The certificates a TLS mail server's must chain to (`MAIL_CA_FILE`, PEM); the system's by default.
    public var caFile: String?

    public init(endpoint: MailEndpoint, from: String, publicURL: String, templates: MailTemplates, caFile: String? = nil) throws(ConfigurationError) {
        guard let address = Self.address(in: from) else {
            throw ConfigurationError(variable: "MAIL_FROM", reason: "must be an address, or a name and <address>, on one line")
        }
        self.endpoint = endpoint
        self.from = from
        self.envelopeFrom = address
        self.messageIDDomain = String(address.split(separator: "@").last ?? "localhost")
        self.publicURL = publicURL
        self.templates = templates
        self.caFile = caFile
    }

    /// The settings in `environment`; `nil` when `MAIL_URL` is not set.
    static func read(_ environment: EnvironmentReader) throws(ConfigurationError) -> MailSettings? {
        // Unset, or an empty secret file (compose mounts one either way): no mail.
        guard let url = try environment.valueOrFile("MAIL_URL"), !url.trimmingCharacters(in: " \r\n").isEmpty else { return nil }
        let endpoint = try MailEndpoint(url: url.trimmingCharacters(in: " \r\n"))
        if case .file(let directory) = endpoint {
            // The directory is made at the first message if need be, its parent must exist.
            var status = stat()
            let parent = directory.split(separator: "/").dropLast().joined(separator: "/")
            guard stat("/" + parent, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw ConfigurationError(variable: "MAIL_URL", reason: "the parent of \(directory) is not a directory")
            }
        }
        let from = try environment.require("MAIL_FROM")
        guard let publicURL = try environment.publicURL("PUBLIC_URL") else {
            throw ConfigurationError(variable: "PUBLIC_URL", reason: "is required with MAIL_URL: the links in messages point there")
        }
        guard publicURL.lowercased().hasPrefix("https://") || Self.isLoopback(publicURL) else {
            throw ConfigurationError(
                variable: "PUBLIC_URL",
                reason: "must be https (the links in messages carry tokens), unless it is a loopback address"
            )
        }
        let directory = environment.optional("MAIL_TEMPLATES_DIR")
        if let directory {
            var status = stat()
            guard stat(directory, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
                throw ConfigurationError(variable: "MAIL_TEMPLATES_DIR", reason: "\(directory) is not a directory")
            }
        }
        let caFile = environment.optional("MAIL_CA_FILE")
        if let caFile {
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(caFile), !certificates.isEmpty else {
                throw ConfigurationError(variable: "MAIL_CA_FILE", reason: "\(caFile) holds no PEM certificate")
            }
        }
        return try MailSettings(endpoint: endpoint, from: from, publicURL: publicURL, templates: MailTemplates(directory: directory), caFile: caFile)
    }

    /// Whether `url` (`http://host[:port][/path]`) names this machine.
    static func isLoopback(_ url: String) -> Bool {
        let rest = url.drop { $0 != "/" }.dropFirst(2)
        let host = rest.hasPrefix("[") ? rest.prefix { $0 != "]" }.dropFirst() : rest.prefix { $0 != ":" && $0 != "/" }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        let loopbackIPv4 = octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
        return host == "localhost" || host == "::1" || loopbackIPv4
    }

    /// The address of `Name <address>` or of a bare address: one `@`, no space or control
    /// character, at most 254 bytes.
    static func address(in from: String) -> String? {
        var candidate = Substring(from)
        if let open = from.lastIndex(of: "<"), from.hasSuffix(">") {
            candidate = from[from.index(after: open)..<from.index(before: from.endIndex)]
        }
        let parts = candidate.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, candidate.utf8.count <= 254,
            from.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }),
            candidate.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) })
        else { return nil }
        return String(candidate)
    }
}
