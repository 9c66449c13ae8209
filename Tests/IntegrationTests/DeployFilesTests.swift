import Foundation
import Testing

@Suite("Container files name only what exists")
struct DeployFilesTests {
    static let root = DocumentationTests.root
    static func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Variables of the compose stack itself (its PostgreSQL and Redis, the published port).
    static let composeOnly: Set<String> = ["POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "REDIS_PASSWORD", "GATEWAY_PORT"]

    @Test func everyVariableIsOneTheServicesRead() throws {
        let known = try DocumentationTests.variablesRead().union(Self.composeOnly)
        let assignment = try NSRegularExpression(pattern: #"^\s*([A-Z][A-Z0-9_]+)\s*[:=]"#, options: [.anchorsMatchLines])
        for file in ["deploy/compose.yaml", "deploy/.env.example", "deploy/Dockerfile"] {
            let text = try Self.read(file)
            var names: [String] = []
            for match in assignment.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { names.append(String(text[range])) }
            }
            // The Dockerfile's ENV block: NAME=value pairs after ENV.
            if file.hasSuffix("Dockerfile") {
                let env = try NSRegularExpression(pattern: #"\b([A-Z][A-Z0-9_]+)="#)
                for match in env.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text), !["DEBIAN_FRONTEND"].contains(String(text[range])) {
                        names.append(String(text[range]))
                    }
                }
            }
            #expect(!names.isEmpty || file.hasSuffix("Dockerfile"), "\(file) sets variables")
            for name in names {
                #expect(known.contains(name), "\(file) sets \(name), which nothing reads")
            }
        }
    }

    @Test func everyCommandIsASubcommandOfOurExecutables() async throws {
        let compose = try Self.read("deploy/compose.yaml") + "\n" + (try Self.read("deploy/Dockerfile"))
        let call = try NSRegularExpression(pattern: #"\b(identity|token|gateway)["\s,]+"?(serve|healthcheck|migrate|import-users|[a-z-]+)\b"#)
        var pairs: Set<[String]> = []
        for match in call.matches(in: compose, range: NSRange(compose.startIndex..., in: compose)) {
            guard let executable = Range(match.range(at: 1), in: compose), let subcommand = Range(match.range(at: 2), in: compose) else { continue }
            let sub = String(compose[subcommand])
            if ["service", "sock", "replica", "replicas", "and", "the", "so", "is", "with"].contains(sub) { continue }
            pairs.insert([String(compose[executable]), sub])
        }
        #expect(pairs.contains(["identity", "migrate"]) && pairs.contains(["gateway", "healthcheck"]))
        for pair in pairs.sorted(by: { $0.joined() < $1.joined() }) {
            let result = try await ChildProcess.run(Executables.path(pair[0]), [pair[1], "--help"], environment: [:])
            #expect(result.status == 0, "`\(pair[0]) \(pair[1])` exists: \(result.output.prefix(200))")
        }
    }

    @Test func everyPathTheDockerfileCopiesExists() throws {
        let dockerfile = try Self.read("deploy/Dockerfile")
        for line in dockerfile.split(separator: "\n") where line.hasPrefix("COPY ") && !line.contains("--from=") {
            let parts = line.split(separator: " ").dropFirst().dropLast()
            for source in parts {
                #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(String(source)).path), "COPY \(source)")
            }
        }
    }
}
