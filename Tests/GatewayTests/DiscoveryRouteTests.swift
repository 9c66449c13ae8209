import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// The discovery document's URLs and caching: with `PUBLIC_URL` a cacheable document naming it;
/// without, the request's own Host, never kept by a shared cache nor handed to another Host.
@Suite("Discovery document")
struct DiscoveryRouteTests {
    @Test func withoutAPublicURLTheDocumentIsNotCacheableAndVariesByHost() async throws {
        try await RouteTests.withGateway { client in
            // The router's test client asks for the authority "localhost"; whatever the Host, the
            // answer is that Host's alone, never cached.
            let forged = try await client.execute(uri: "/.well-known/openid-configuration", method: .get)
            #expect(forged.status == .ok)
            #expect(forged.headers[.cacheControl] == "no-store")
            #expect(
                forged.headers[values: .vary].contains { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains("Host") }
            )
            let document = RouteTests.json(forged.body)
            #expect(document["token_endpoint"] as? String == "http://localhost/api/v1/auth/token")
        }
    }

    @Test func aPublicURLIsNamedWhateverTheHostAndMayBeCached() async throws {
        try await RouteTests.withGateway(["PUBLIC_URL": "https://auth.example.com"]) { client in
            let response = try await client.execute(
                uri: "/.well-known/openid-configuration",
                method: .get,
                headers: [HTTPField.Name("Host")!: "evil.example"]
            )
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=300")
            let document = RouteTests.json(response.body)
            #expect(document["token_endpoint"] as? String == "https://auth.example.com/api/v1/auth/token")
            #expect(document["jwks_uri"] as? String == "https://auth.example.com/.well-known/jwks.json")
            #expect(document["revocation_endpoint"] as? String == "https://auth.example.com/api/v1/auth/revoke")
        }
    }
}
