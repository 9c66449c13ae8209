/// Argon2id cost parameters, as configured and as read back from a PHC string.
public struct Argon2Parameters: Sendable, Hashable, CustomStringConvertible {
    /// Memory in KiB (`m`).
    public var memoryKiB: Int
    /// Passes (`t`).
    public var iterations: Int
    /// Lanes (`p`).
    public var parallelism: Int

    /// OWASP's recommendation: 19 MiB, 2 passes, 1 lane.
    public static let owasp = Argon2Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)

    /// OWASP's equivalent minimums for Argon2id with one lane (Password Storage Cheat Sheet):
    /// memory in KiB and passes, each row as strong as the others.
    public static let owaspMinimums: [(memoryKiB: Int, iterations: Int)] = [
        (47104, 1), (19456, 2), (12288, 3), (9216, 4), (7168, 5),
    ]

    /// Whether these parameters are at least one of OWASP's rows.
    public var meetsOWASPMinimum: Bool {
        Self.owaspMinimums.contains { self.memoryKiB >= $0.memoryKiB && self.iterations >= $0.iterations }
    }

    public init(memoryKiB: Int, iterations: Int, parallelism: Int) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// The parameters of an `$argon2id$v=19$m=…,t=…,p=…$…` string, or `nil` for anything else.
    public init?(phc: String) {
        let fields = phc.split(separator: "$", omittingEmptySubsequences: false)
        // "", "argon2id", "v=19", "m=…,t=…,p=…", salt, hash
        guard fields.count == 6, fields[0].isEmpty, fields[1] == "argon2id", fields[2] == "v=19" else { return nil }
        var values: [Substring: Int] = [:]
        for pair in fields[3].split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Int(parts[1]), value > 0 else { return nil }
            values[parts[0]] = value
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"], values.count == 3 else { return nil }
        self.init(memoryKiB: m, iterations: t, parallelism: p)
    }

    public var description: String { "m=\(self.memoryKiB),t=\(self.iterations),p=\(self.parallelism)" }
}
