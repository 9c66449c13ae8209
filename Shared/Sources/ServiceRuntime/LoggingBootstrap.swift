public import ServiceConfiguration
public import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Sets up swift-log once per process: one `key=value` line per record on standard error.
public enum LoggingBootstrap {
    /// Bootstraps the logging system for `service` at `level`.
    public static func bootstrap(service: String, level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = KeyValueLogHandler(label: label, service: service)
            handler.logLevel = level
            return handler
        }
    }

    /// Parses `LOG_LEVEL` values (`trace`, `debug`, `info`, `notice`, `warning`, `error`, `critical`).
    public static func level(from environment: EnvironmentReader) throws(ConfigurationError) -> Logger.Level {
        let name = try environment.choice(
            "LOG_LEVEL",
            default: "info",
            from: Logger.Level.allCases.map(\.rawValue)
        )
        return Logger.Level(rawValue: name) ?? .info
    }
}

/// Writes `ts=… level=… service=… msg="…" key=value…` lines; values are quoted when they need it.
///
/// Structured so that a log shipper can parse it without rules; the request id travels as the
/// `request_id` metadata key from the gateway through every backend's lines.
public struct KeyValueLogHandler: LogHandler, Sendable {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let service: String

    public init(label: String, service: String) {
        self.label = label
        self.service = service
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(
        level: Logger.Level,
        message: Logger.Message,
        metadata explicitMetadata: Logger.Metadata?,
        source: String,
        file: String,
        function: String,
        line: UInt
    ) {
        var text = "ts=\(Self.timestamp()) level=\(level.rawValue) service=\(self.service) msg=\(Self.quoted(message.description))"
        var merged = self.metadata
        if let explicitMetadata { merged.merge(explicitMetadata) { _, new in new } }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            text += " \(key)=\(Self.quoted(value.description))"
        }
        text += "\n"
        StandardError.write(text)
    }

    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }
        guard needsQuotes else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            default: escaped.append(character)
            }
        }
        return "\"\(escaped)\""
    }

    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let millis = now.tv_nsec / 1_000_000
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
