import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// The OpenAPI document and its viewers as a user meets them: the document from the real
/// gateway checked by `openapi-spec-validator` (PyPI), and `/docs` and `/redoc` rendered by a real
/// headless browser (Debian's Chromium) with no internet, each listing every operation.
@Suite("API documentation through the real stack")
struct DocumentationViewerTests {
    /// `openapi-spec-validator`, installed by `make test` (`OPENAPI_SPEC_VALIDATOR`).
    static var validator: String {
        ProcessInfo.processInfo.environment["OPENAPI_SPEC_VALIDATOR"] ?? Self.root + "/.run/tools-venv/bin/openapi-spec-validator"
    }

    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Runs Chromium headless on `url`: the page's DOM after its scripts ran, or a screenshot.
    static func chromium(_ url: String, screenshot: String? = nil) async throws -> String {
        var arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--virtual-time-budget=15000",
            "--window-size=1280,1600",
        ]
        arguments += screenshot.map { ["--screenshot=\($0)"] } ?? ["--dump-dom"]
        let result = try await ChildProcess.run("/usr/bin/chromium", arguments + [url], environment: ["HOME": "/tmp"], timeout: .seconds(90))
        #expect(result.status == 0, "chromium: \(result.output.suffix(500))")
        return result.output
    }

    static func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func theDocumentIsValidOpenAPIAndBothViewersRenderEveryOperation() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let reply = try await HTTP.get(stack.baseURL + "/openapi.json")
        #expect(reply.status == 200)
        let document = try #require(reply.json)
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let operations = paths.values.map { $0.keys.filter { ["get", "put", "post", "delete"].contains($0) }.count }.reduce(0, +)
        #expect(operations >= 40)

        let directory = TemporaryDirectory(prefix: "openapi")
        defer { directory.remove() }
        try Data(reply.body.utf8).write(to: URL(fileURLWithPath: directory.appending("openapi.json")))
        let validated = try await ChildProcess.run(Self.validator, [directory.appending("openapi.json")], environment: [:])
        #expect(validated.status == 0 && validated.output.contains("OK"), "openapi-spec-validator: \(validated.output.suffix(2000))")

        // Swagger UI: one block per operation, drawn from the shipped files only.
        let swagger = try await Self.chromium(stack.baseURL + "/docs")
        #expect(Self.occurrences(of: "class=\"opblock opblock-", in: swagger) == operations, "Swagger UI lists every operation")
        #expect(swagger.contains("/api/v1/auth/token") && swagger.contains("auth-service"))
        // ReDoc: a section per operation.
        let redoc = try await Self.chromium(stack.baseURL + "/redoc")
        #expect(Self.occurrences(of: "/operation/", in: redoc) >= operations, "ReDoc lists every operation")
        #expect(redoc.contains("Register a user"))

        let output = Self.root + "/.run/test-output"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        _ = try await Self.chromium(stack.baseURL + "/docs", screenshot: output + "/docs.png")
        let size = (try FileManager.default.attributesOfItem(atPath: output + "/docs.png")[.size] as? Int) ?? 0
        #expect(size > 10_000, "a screenshot of /docs")
        print("screenshot of /docs: \(output)/docs.png (\(size) bytes)")
        _ = await stack.stop()
    }
}
