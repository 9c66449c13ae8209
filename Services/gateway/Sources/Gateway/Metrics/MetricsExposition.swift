/// Prometheus text from several processes as one exposition: each metric family once, with every
/// sample labelled with the process it came from.
///
/// The gateway's `/metrics` joins its own text with each backend instance's. Two instances of
/// one service write the same families; Prometheus wants a family's `# HELP`/`# TYPE` once and
/// its samples together, and the added `service`/`instance` labels keep the samples apart.
///
/// ```swift
/// var exposition = MetricsExposition()
/// exposition.add(ProcessMetrics.exposition(), labels: [("service", "gateway")])
/// exposition.add(tokenText, labels: [("service", "token"), ("instance", "token-a1")])
/// let body = exposition.text
/// ```
struct MetricsExposition: Sendable {
    private struct Family: Sendable {
        var help: Substring?
        var type: Substring?
        var samples: [String] = []
    }

    private var families: [Substring: Family] = [:]
    private var order: [Substring] = []

    /// Adds one process's exposition, with `labels` added to each of its samples (except a label
    /// a sample already has: a name may appear only once in a sample).
    mutating func add(_ text: String, labels: [(String, String)]) {
        var current: Substring?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
                guard words.count >= 3 else { continue }
                let name = words[2]
                current = name
                self.touch(name)
                if line.hasPrefix("# HELP ") {
                    if self.families[name]?.help == nil { self.families[name]?.help = line }
                } else if self.families[name]?.type == nil {
                    self.families[name]?.type = line
                }
                continue
            }
            if line.hasPrefix("#") { continue }
            let nameEnd = line.firstIndex { $0 == "{" || $0 == " " } ?? line.endIndex
            let sampleName = line[..<nameEnd]
            // A histogram's _bucket, _sum and _count samples belong to the family above them.
            let family = current.flatMap { sampleName.hasPrefix($0) ? $0 : nil } ?? sampleName
            self.touch(family)
            let rest = line[nameEnd...]
            let injected = labels.filter { !rest.hasPrefix("{\($0.0)=\"") && !rest.contains(",\($0.0)=\"") }
                .map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
            let sample: String
            if injected.isEmpty {
                sample = String(line)
            } else if rest.hasPrefix("{}") {
                sample = "\(sampleName){\(injected)}\(rest.dropFirst(2))"
            } else if rest.hasPrefix("{") {
                sample = "\(sampleName){\(injected),\(rest.dropFirst())"
            } else {
                sample = "\(sampleName){\(injected)}\(rest)"
            }
            self.families[family]?.samples.append(sample)
        }
    }

    /// The joined exposition, families in the order first seen.
    var text: String {
        var output = ""
        for name in self.order {
            guard let family = self.families[name] else { continue }
            if let help = family.help { output += help + "\n" }
            if let type = family.type { output += type + "\n" }
            for sample in family.samples { output += sample + "\n" }
        }
        return output
    }

    private mutating func touch(_ name: Substring) {
        if self.families[name] == nil {
            self.families[name] = Family()
            self.order.append(name)
        }
    }

    /// A label value as the text format writes it.
    static func escape(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
