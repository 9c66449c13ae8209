#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads configuration variables once, with names in every error.
///
/// Each service's configuration type takes one of these in `init(environment:)`; tests build one
/// from a dictionary. Secrets may come from `NAME_FILE`, a path whose contents are the value
/// (docker secrets), in which case `NAME` must not also be set.
///
/// ```swift
/// let env = EnvironmentReader.process()
/// let port = try env.integer("PORT", default: 8000, in: 0...65535)
/// ```
public struct EnvironmentReader: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The environment of this process.
    public static func process() -> EnvironmentReader {
        var values: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let equals = pair.firstIndex(of: "=") {
                values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            pointer += 1
        }
        return EnvironmentReader(values)
    }

    /// The value of `name`, or `nil` when unset or empty.
    public func optional(_ name: String) -> String? {
        guard let value = self.values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The value of `name`; throws naming it when unset.
    public func require(_ name: String) throws(ConfigurationError) -> String {
        guard let value = self.optional(name) else { throw ConfigurationError(variable: name, reason: "is required but not set") }
        return value
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        self.optional(name) ?? defaultValue
    }

    public func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let text = self.optional(name) else { return defaultValue }
        guard let value = Int(text.trimmingSpaces()) else {
            throw ConfigurationError(variable: name, reason: "must be a whole number, got \"\(text)\"")
        }
        guard range.contains(value) else {
            throw ConfigurationError(variable: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public func boolean(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let text = self.optional(name) else { return defaultValue }
        switch text.trimmingSpaces().lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, reason: "must be true or false, got \"\(text)\"")
        }
    }

    /// One of `choices` (compared case-insensitively), returned lower-cased.
    public func choice(_ name: String, default defaultValue: String, from choices: [String]) throws(ConfigurationError) -> String {
        guard let text = self.optional(name) else { return defaultValue }
        let value = text.trimmingSpaces().lowercased()
        guard choices.contains(value) else {
            throw ConfigurationError(variable: name, reason: "must be one of \(choices.joined(separator: ", ")), got \"\(text)\"")
        }
        return value
    }

    /// Placeholder values of `.env.example`; a secret equal to one of them is refused.
    public static let placeholderMarkers = ["change-me", "changeme", "replace-me", "your-secret", "example-secret"]

    /// The value of `name`, or the contents of the file named by `name_FILE` (docker secrets);
    /// `nil` when neither is set.
    public func valueOrFile(_ name: String) throws(ConfigurationError) -> String? {
        let fileVariable = name + "_FILE"
        switch (self.optional(name), self.optional(fileVariable)) {
        case (.some, .some):
            throw ConfigurationError(variable: name, reason: "set both \(name) and \(fileVariable); set only one")
        case (.some(let direct), .none):
            return direct
        case (.none, .some(let path)):
            guard let contents = Self.readFile(path) else {
                throw ConfigurationError(variable: fileVariable, reason: "cannot read the file \(path)")
            }
            return contents.trimmingNewlines()
        case (.none, .none):
            return nil
        }
    }

    /// A required value from `name` or from the file named by `name_FILE` (a URL holding a
    /// password is a secret too).
    public func requireValueOrFile(_ name: String) throws(ConfigurationError) -> String {
        guard let value = try self.valueOrFile(name), !value.isEmpty else {
            throw ConfigurationError(variable: name, reason: "is required but not set (or set \(name)_FILE to a file holding it)")
        }
        return value
    }

    /// A secret from `name` or from the file named by `name_FILE`, at least `minimumLength` characters.
    public func secret(_ name: String, minimumLength: Int = 32) throws(ConfigurationError) -> String {
        guard let value = try self.valueOrFile(name) else {
            throw ConfigurationError(variable: name, reason: "is required but not set (or set \(name)_FILE to a file holding it)")
        }
        guard value.count >= minimumLength else {
            throw ConfigurationError(variable: name, reason: "must be at least \(minimumLength) characters, got \(value.count)")
        }
        let lowered = value.lowercased()
        if Self.placeholderMarkers.contains(where: { lowered.contains($0) }) {
            throw ConfigurationError(variable: name, reason: "is still the placeholder of .env.example; generate a random value")
        }
        return value
    }

    /// The secrets a deployment keeps apart: each keys something else (token signatures, refresh
    /// digests, API-key digests), so one leaking must not give away another.
    public static let distinctSecrets = ["ACCESS_SECRET", "REFRESH_SECRET", "API_KEY_SECRET", "MFA_ENCRYPTION_KEY"]

    /// Throws naming the later variable when two of `names` that this process can see (directly
    /// or through `NAME_FILE`) hold the same value. A process checks the pairs it sees; which it
    /// sees depends on the deployment (compose gives each service only its own).
    public func requireDistinct(_ names: [String] = Self.distinctSecrets) throws(ConfigurationError) {
        var seen: [(name: String, value: String)] = []
        for name in names {
            guard let value = try self.valueOrFile(name) else { continue }
            if let same = seen.first(where: { $0.value == value }) {
                throw ConfigurationError(variable: name, reason: "must differ from \(same.name): each secret keys something else")
            }
            seen.append((name, value))
        }
    }

    /// The contents of a file of at most `limit` bytes, as text; `nil` when it cannot be read or is larger.
    public static func readFile(_ path: String, limit: Int = 1 << 20) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    func trimmingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline { text.removeLast() }
        return String(text)
    }
}
