public import ServiceConfiguration

/// Where identity's mail goes (`MAIL_URL`, or `MAIL_URL_FILE` holding it, since it may hold a
/// password):
///
/// - `smtp://[user:password@]host[:port]`: SMTP on 587 by default, STARTTLS required before
///   anything else is said; `?tls=none` (plain text) only to a loopback host;
/// - `smtps://[user:password@]host[:port]`: SMTP inside TLS from the first byte, 465 by default;
/// - `file:///directory`: each message written as one `.eml` file (development).
///
/// ```swift
/// let endpoint = try MailEndpoint(url: "smtp://courier:secret@mail.example.com:587")
/// ```
public enum MailEndpoint: Sendable, Hashable {
    case smtp(SMTPServer)
    case file(directory: String)

    /// An SMTP server and how to reach it.
    public struct SMTPServer: Sendable, Hashable {
        public var host: String
        public var port: Int
        public var security: Security
        /// For AUTH PLAIN or LOGIN; `nil`: no authentication.
        public var credentials: Credentials?
    }

    /// How the connection is protected.
    public enum Security: Sendable, Hashable {
        /// STARTTLS, required: a server that does not offer it gets no mail.
        case startTLS
        /// TLS from the first byte (`smtps://`).
        case implicitTLS
        /// None (`?tls=none`): a loopback server only.
        case none
    }

    public struct Credentials: Sendable, Hashable {
        public var user: String
        public var password: String
    }

    /// Parses `url`; a wrong one is a ``ConfigurationError`` for `variable` that never repeats the
    /// password.
    public init(url: String, variable: String = "MAIL_URL") throws(ConfigurationError) {
        func refuse(_ reason: String) -> ConfigurationError { ConfigurationError(variable: variable, reason: reason) }
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw refuse("must be smtp://host:port, smtps://host:port or file:///directory")
        }
        let scheme = parts[0].lowercased()
        let rest = parts[1]
        switch scheme {
        case "file":
            guard rest.hasPrefix("/"), rest.count > 1, !rest.contains("?"), !rest.contains("#") else {
                throw refuse("a file URL names an absolute directory: file:///var/spool/auth-mail")
            }
            self = .file(directory: String(rest))
        case "smtp", "smtps":
            let (authority, query) = Self.split(rest, at: "?")
            guard !authority.contains("/") || authority.hasSuffix("/") else { throw refuse("an SMTP URL has no path") }
            let trimmed = authority.hasSuffix("/") ? authority.dropLast() : authority
            var credentials: Credentials?
            var hostPort = trimmed
            if let at = trimmed.lastIndex(of: "@") {
                let userInfo = trimmed[..<at]
                hostPort = trimmed[trimmed.index(after: at)...]
                let (user, password) = Self.split(userInfo, at: ":")
                guard let user = Self.percentDecoded(user), let password = password.flatMap(Self.percentDecoded), !user.isEmpty else {
                    throw refuse("the user and password must be percent-encoded, as user:password@host")
                }
                credentials = Credentials(user: user, password: password)
            }
            guard let (host, port) = Self.hostAndPort(hostPort, defaultPort: scheme == "smtps" ? 465 : 587) else {
                throw refuse("names no host, or a port that is not 1 to 65535")
            }
            var security: Security = scheme == "smtps" ? .implicitTLS : .startTLS
            for parameter in (query ?? "").split(separator: "&") where !parameter.isEmpty {
                guard parameter == "tls=none", scheme == "smtp" else {
                    throw refuse("the only option is ?tls=none (plain text, smtp:// to a loopback host)")
                }
                guard Self.isLoopback(host) else { throw refuse("tls=none is only for a loopback host; \(host) would see the mail in clear") }
                security = .none
            }
            self = .smtp(SMTPServer(host: host, port: port, security: security, credentials: credentials))
        default:
            throw refuse("must be smtp://, smtps:// or file://, not \(scheme.prefix(16))://")
        }
    }

    private static func split(_ text: Substring, at separator: Character) -> (Substring, Substring?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (text[..<index], text[text.index(after: index)...])
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func hostAndPort(_ text: Substring, defaultPort: Int) -> (String, Int)? {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let after = text[text.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else {
            (host, portText) = Self.split(text, at: ":")
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" }) else { return nil }
        let port = portText.map { Int($0) ?? 0 } ?? defaultPort
        guard (1...65535).contains(port) else { return nil }
        return (String(host).lowercased(), port)
    }

    /// `localhost`, `127.x.x.x` or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `%XX` sequences decoded as UTF-8; `nil` for a malformed sequence or invalid UTF-8.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension MailEndpoint.Credentials: CustomStringConvertible {
    /// The user only: the password never reaches a log line or an error message.
    public var description: String { "\(self.user):***" }
}
