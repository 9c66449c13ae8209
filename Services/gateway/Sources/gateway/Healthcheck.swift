import ArgumentParser
import Gateway
import ServiceConfiguration

struct Healthcheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GET /health/live (or /health/ready) on HOST:PORT; exit 0 on 200 (a container probe)."
    )

    @Flag(help: "Ask /health/ready (every backend checked) instead of /health/live.")
    var ready = false

    func run() async throws {
        let environment = EnvironmentReader.process()
        let host = environment.string("HOST", default: "127.0.0.1")
        let probeHost = host == "0.0.0.0" ? "127.0.0.1" : (host == "::" ? "::1" : host)
        let port = Int(environment.string("PORT", default: "8000")) ?? 8000
        let path = self.ready ? "/health/ready" : "/health/live"
        let status = await HTTPProbe.status(host: probeHost, port: port, path: path)
        print("gateway \(probeHost):\(port)\(path): \(status.map { "HTTP \($0)" } ?? "no answer")")
        if status != 200 { throw ExitCode.failure }
    }
}
