/// Where Redis is and how to log in, parsed from `REDIS_URL`.
///
/// `redis://[[user]:password@]host[:port][/db]`, or `unix:///path/to/redis.sock[?db=N]`.
public struct RedisEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum Address: Sendable, Hashable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int

    public init(address: Address, username: String? = nil, password: String? = nil, database: Int = 0) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a URL; the error says what is wrong, never the password.
    public init(url: String) throws(RedisURLError) {
        if url.hasPrefix("rediss://") {
            throw RedisURLError("rediss:// (TLS) is not supported by this build's hiredis; use redis:// on a private network or a TLS proxy")
        }
        if url.hasPrefix("unix://") {
            var rest = Substring(url.dropFirst("unix://".count))
            var database = 0
            if let question = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: question)...]
                rest = rest[..<question]
                for pair in query.split(separator: "&") where pair.hasPrefix("db=") {
                    guard let value = Int(pair.dropFirst(3)), (0...15).contains(value) else { throw RedisURLError("db must be 0 to 15") }
                    database = value
                }
            }
            guard rest.hasPrefix("/") else { throw RedisURLError("unix:// needs an absolute path") }
            self.init(address: .unix(path: String(rest)), database: database)
            return
        }
        guard url.hasPrefix("redis://") else { throw RedisURLError("must start with redis:// or unix://") }
        var rest = Substring(url.dropFirst("redis://".count))
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : Self.percentDecoded(user)
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                password = Self.percentDecoded(credentials)
            }
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...].prefix { $0 != "?" }
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let value = Int(path), (0...15).contains(value) else { throw RedisURLError("the database number must be 0 to 15") }
                database = value
            }
        }
        var host = rest
        var port = 6379
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw RedisURLError("unclosed [ in host") }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let value = Int(after.dropFirst()), (1...65535).contains(value) else { throw RedisURLError("bad port") }
                port = value
            }
        } else if let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]), (1...65535).contains(value) else { throw RedisURLError("bad port") }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw RedisURLError("no host") }
        self.init(address: .tcp(host: String(host), port: port), username: username, password: password, database: database)
    }

    public var description: String {
        switch self.address {
        case .tcp(let host, let port): "redis://\(host):\(port)/\(self.database)"
        case .unix(let path): "unix://\(path)?db=\(self.database)"
        }
    }

    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Why a `REDIS_URL` could not be used.
public struct RedisURLError: Error, Sendable {
    public var reason: String
    init(_ reason: String) { self.reason = reason }
}
