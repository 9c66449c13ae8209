/// A configuration variable that is missing or wrong; the process prints it and exits non-zero.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The environment variable at fault.
    public var variable: String
    /// Why it is wrong, in words an operator can act on (never the secret's value).
    public var reason: String

    public init(variable: String, reason: String) {
        self.variable = variable
        self.reason = reason
    }

    public var description: String { "configuration error: \(self.variable): \(self.reason)" }
}
