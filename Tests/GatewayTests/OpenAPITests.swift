import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceConfiguration
import ServiceTesting
import Testing
@testable import Gateway

/// The OpenAPI document against the router it describes, and the pages that show it.
@Suite("OpenAPI document and viewers")
struct OpenAPITests {
    typealias Routes = RouteTests

    /// `GET /openapi.json` from the real router, parsed.
    static func document(_ client: any TestClientProtocol) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/openapi.json", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/json")
        return try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any])
    }

    static let methods = ["get", "put", "post", "delete", "patch", "options", "head", "trace"]

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() async throws {
        let backends = try await InProcessBackends()
        defer { Task { await backends.drop() } }
        let configuration = try Routes.configuration()
        let (router, table, _) = buildRouter(configuration: configuration, backends: backends.backends, logger: Routes.logger)
        let routed = Set(table.entries.flatMap { path, methods in methods.map { "\($0.rawValue) \(path)" } })
        #expect(routed.count >= 40)

        try await Application(router: router).test(.router) { client in
            let document = try await Self.document(client)
            #expect(document["openapi"] as? String == "3.1.1")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented: Set<String> = []
            for (path, item) in paths {
                for method in Self.methods where item[method] != nil { documented.insert("\(method.uppercased()) \(path)") }
            }
            #expect(routed.subtracting(documented).isEmpty, "routes missing from the document: \(routed.subtracting(documented).sorted())")
            #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")

            // Each operation: an id, its answers, the shared error shape, the right security.
            var operationIDs: Set<String> = []
            for (path, item) in paths {
                for method in Self.methods {
                    guard let operation = item[method] as? [String: Any] else { continue }
                    let id = try #require(operation["operationId"] as? String)
                    #expect(operationIDs.insert(id).inserted, "operationId \(id) is unique")
                    let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path) documents its success")
                    if operation["requestBody"] != nil {
                        #expect(responses["422"] != nil, "\(method) \(path) documents 422")
                    }
                    for parameter in path.split(separator: "/") where parameter.hasPrefix("{") {
                        let names = (operation["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                        #expect(names.contains(String(parameter.dropFirst().dropLast())), "\(method) \(path) documents \(parameter)")
                    }
                }
            }
            let login = try #require((paths["/api/v1/auth/token"]?["post"] as? [String: Any])?["requestBody"] as? [String: Any])
            let content = try #require(login["content"] as? [String: Any])
            #expect(Set(content.keys) == ["application/x-www-form-urlencoded", "application/json"])
            let components = try #require(document["components"] as? [String: Any])
            let schemes = try #require(components["securitySchemes"] as? [String: [String: Any]])
            #expect(schemes["bearer"]?["scheme"] as? String == "bearer")
            #expect(schemes["apiKey"]?["name"] as? String == "X-API-Key")
            #expect(schemes["refreshCookie"]?["in"] as? String == "cookie")
            let me = try #require(paths["/api/v1/users/me"]?["get"] as? [String: Any])
            #expect((me["security"] as? [[String: [String]]])?.contains { $0["apiKey"] == ["profile:read"] } == true)
            let error = try #require((components["schemas"] as? [String: [String: Any]])?["Error"])
            #expect((error["properties"] as? [String: Any])?["detail"] != nil)
        }
        await backends.drop()
    }

    @Test func thePagesAndTheirFilesAreServedWithTheirOwnPolicy() async throws {
        try await Routes.withGateway { client in
            let docs = try await client.execute(uri: "/docs", method: .get)
            #expect(docs.status == .ok)
            #expect(docs.headers[.contentType] == "text/html; charset=utf-8")
            let policy = try #require(docs.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'") && !policy.contains("http"))
            let html = String(buffer: docs.body)
            #expect(html.contains("\(DocumentationRoutes.assetsPath)/swagger-ui/swagger-ui-bundle.js") && !html.contains("https://"))

            let bundle = try await client.execute(uri: "\(DocumentationRoutes.assetsPath)/swagger-ui/swagger-ui-bundle.js", method: .get)
            #expect(bundle.status == .ok)
            #expect(bundle.body.readableBytes > 1_000_000)
            #expect(bundle.headers[.cacheControl] == "public, max-age=31536000, immutable")
            let redocScript = try await client.execute(uri: "\(DocumentationRoutes.assetsPath)/redoc/redoc.standalone.js", method: .get)
            #expect(redocScript.status == .ok)
            let initializer = try await client.execute(uri: "/docs/swagger-initializer.js", method: .get)
            #expect(String(buffer: initializer.body).contains("/openapi.json"))

            let redoc = try await client.execute(uri: "/redoc", method: .get)
            #expect(redoc.status == .ok && String(buffer: redoc.body).contains(#"spec-url="/openapi.json""#))
            let missing = try await client.execute(uri: "\(DocumentationRoutes.assetsPath)/nothing.js", method: .get)
            #expect(missing.status == .notFound)
            #expect(Routes.json(missing.body)["detail"] as? String == "Not Found")
            let escape = try await client.execute(uri: "\(DocumentationRoutes.assetsPath)/../../Package.swift", method: .get)
            #expect([.badRequest, .notFound].contains(escape.status) && !String(buffer: escape.body).contains("PackageDescription"))
            // The API keeps its strict policy.
            let live = try await client.execute(uri: "/health/live", method: .get)
            #expect(live.headers[.contentSecurityPolicy] == "default-src 'none'; frame-ancestors 'none'; base-uri 'none'")
        }
    }

    @Test func theDocumentationCanBeTurnedOff() async throws {
        try await Routes.withGateway(["OPENAPI_ENABLED": "false"]) { client in
            for path in ["/openapi.json", "/docs", "/redoc", "\(DocumentationRoutes.assetsPath)/swagger-ui/swagger-ui.css"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .notFound, "\(path)")
            }
        }
    }

    @Test func missingViewerFilesStopTheGatewayAtStart() throws {
        #expect(throws: ConfigurationError.self) { try Routes.configuration(["OPENAPI_ASSETS_DIR": "/nonexistent"]) }
        _ = try Routes.configuration(["OPENAPI_ASSETS_DIR": "/nonexistent", "OPENAPI_ENABLED": "false"])
    }
}
