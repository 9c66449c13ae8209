import Foundation
import Testing
import WireTesting

@Suite("Container files name only what exists")
struct DeployFilesTests {
    static let root = DocumentationTests.root
    static func read(_ path: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Variables of the compose stack itself (its PostgreSQL and Redis, the published port).
    static let composeOnly: Set<String> = ["POSTGRES_USER", "POSTGRES_PASSWORD_FILE", "POSTGRES_DB", "GATEWAY_PORT"]

    @Test func everyVariableIsOneTheServicesRead() throws {
        let read = try DocumentationTests.variablesRead()
        // A secret may come from NAME_FILE.
        let known = read.union(read.map { $0 + "_FILE" }).union(Self.composeOnly)
        let assignment = try NSRegularExpression(pattern: #"^\s*([A-Z][A-Z0-9_]+)\s*[:=]"#, options: [.anchorsMatchLines])
        for file in ["deploy/compose.yaml", "deploy/.env.example", "deploy/Dockerfile"] {
            let text = try Self.read(file)
            var names: [String] = []
            for match in assignment.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                if let range = Range(match.range(at: 1), in: text) { names.append(String(text[range])) }
            }
            // The Dockerfile's ENV block: NAME=value pairs after ENV (its build arguments are its own).
            if file.hasSuffix("Dockerfile") {
                let argument = try NSRegularExpression(pattern: #"^ARG ([A-Z][A-Z0-9_]+)"#, options: [.anchorsMatchLines])
                var own: Set<String> = ["DEBIAN_FRONTEND"]
                for match in argument.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) { own.insert(String(text[range])) }
                }
                let env = try NSRegularExpression(pattern: #"\b([A-Z][A-Z0-9_]+)="#)
                for match in env.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text), !own.contains(String(text[range])) {
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
            // The prebuilt stage's binaries are made by scripts/test-compose just before it builds.
            for source in parts where source != ".run/image/" || !((try? Self.read("scripts/test-compose")) ?? "").contains("mkdir -p .run/image") {
                #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(String(source)).path), "COPY \(source)")
            }
        }
    }

    /// The compose file as data: PyYAML (docker-compose's own dependency) turns it into JSON.
    static func compose() async throws -> [String: Any] {
        let script = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
        let result = try await ChildProcess.run(
            "/usr/bin/python3",
            ["-c", script, Self.root.appendingPathComponent("deploy/compose.yaml").path],
            environment: [:]
        )
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    @Test func eachServiceSeesOnlyItsOwnSecrets() async throws {
        let services = try #require(try await Self.compose()["services"] as? [String: [String: Any]])
        let expected: [String: Set<String>] = [
            "identity": ["database_url", "api_key_secret", "mail_url", "mfa_encryption_key", "bootstrap_admin_password"],
            "token": ["redis_url", "access_secret", "refresh_secret"],
            "gateway": [],
        ]
        let secretNames = ["SECRET", "PASSWORD", "DATABASE_URL", "REDIS_URL", "MAIL_URL"]
        var users: Set<String> = []
        for (name, secrets) in expected {
            let service = try #require(services[name])
            #expect(service["env_file"] == nil, "\(name) gets no whole .env")
            #expect(Set(service["secrets"] as? [String] ?? []) == secrets, "\(name)'s secrets")
            let environment = service["environment"] as? [String: Any] ?? [:]
            for (variable, value) in environment where secretNames.contains(where: variable.contains) {
                // A secret reaches a process only as a file it names.
                #expect(
                    variable.hasSuffix("_FILE") && "\(value)".hasPrefix("/run/secrets/") || "\(value)".isEmpty || "\(value)".hasPrefix("${"),
                    "\(name) sets \(variable) directly"
                )
            }
            let user = try #require(service["user"] as? String, "\(name) runs as its own user")
            users.insert(user)
        }
        #expect(users.count == 3, "three services, three users")
        let gateway = try #require(services["gateway"]?["environment"] as? [String: Any])
        #expect(!gateway.keys.contains { variable in secretNames.contains(where: variable.contains) }, "the gateway holds no secret")
        #expect(gateway["BACKEND_ALLOWED_UIDS"] as? String == "10001,10002")
        for backend in ["identity", "token"] {
            #expect(
                (services[backend]?["environment"] as? [String: Any])?["BACKEND_ALLOWED_UIDS"] as? String == "10003",
                "only the gateway calls \(backend)"
            )
        }
    }
}
