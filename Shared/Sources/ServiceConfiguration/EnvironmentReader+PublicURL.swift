extension EnvironmentReader {
    /// `PUBLIC_URL`: the service's address as clients reach it, without its trailing slash: http
    /// or https, a host (and port, and path), no query, fragment, user or space. `nil` when unset.
    ///
    /// The gateway writes it into the discovery document; identity into the links of its mail.
    public func publicURL(_ name: String) throws(ConfigurationError) -> String? {
        guard let text = self.optional(name) else { return nil }
        let trimmed = text.hasSuffix("/") ? String(text.dropLast()) : text
        let refusal = ConfigurationError(variable: name, reason: "must be an http or https URL such as https://auth.example.com")
        let lowered = trimmed.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lowered.hasPrefix($0) }) else { throw refusal }
        let rest = trimmed.dropFirst(scheme.count)
        let host = rest.prefix { $0 != "/" && $0 != ":" }
        guard !host.isEmpty,
            rest.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"?#@\\\"<>'`{}|^".unicodeScalars.contains($0) })
        else { throw refusal }
        return trimmed
    }
}
