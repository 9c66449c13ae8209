import Foundation
import NIOHTTP1
import Testing
import WireTesting

/// Access tokens that other services verify without our secret, through the real stack: EdDSA
/// keys in a key directory shared by two token instances, published as a JWKS that PyJWT's
/// `PyJWKClient` (an outside library) reads, rotated and retired with the `token` command while
/// the stack serves.
@Suite("Signing keys through the real stack")
struct SigningKeyTests {
    /// Verifies `token` as an outside service would: the JWKS from `jwks`, then signature, audience
    /// and issuer with PyJWT. Prints the subject; exits non-zero when the token does not verify.
    static let verifier = """
        import sys, jwt
        url, token = sys.argv[1], sys.argv[2]
        key = jwt.PyJWKClient(url, cache_keys=False).get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["EdDSA", "ES256"], audience="auth-service", issuer="auth-service")
        print("sub=" + claims["sub"])
        """

    static func verifiedByPyJWT(_ token: String, stack: Stack) async throws -> Bool {
        let result = try await ChildProcess.run(
            "/usr/bin/python3",
            ["-c", Self.verifier, stack.baseURL + "/.well-known/jwks.json", token],
            environment: [:]
        )
        if result.status != 0 { print("PyJWT refused the token: \(result.output.suffix(300))") }
        return result.status == 0 && result.output.contains("sub=")
    }

    static func kid(_ token: String) -> String? {
        guard let header = token.split(separator: ".").first else { return nil }
        var text = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return json["kid"] as? String
    }

    func keyCommand(_ arguments: [String], stack: Stack) async throws -> (status: Int32, output: String) {
        try await ChildProcess.run(Executables.path("token"), arguments, environment: stack.environment)
    }

    @Test func outsideVerifiersCheckOurTokensThroughRotationAndRetirement() async throws {
        let stack = try await Stack(
            tokenInstances: 2,
            overrides: ["JWT_ALGORITHM": "EdDSA", "JWT_KEY_RELOAD_SECONDS": "1", "JWT_KEY_DIR": "\(TemporaryDirectory(prefix: "keys").path)/ring"]
        )
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("keys")
        _ = try await api.register(name)
        let first = try await api.tokens(name)
        let firstKid = try #require(Self.kid(first.access))

        // Discovery and the JWKS: one Ed25519 key, the one in the token's header.
        let discovery = try await api.json(.GET, "/.well-known/openid-configuration")
        #expect(discovery.status == 200)
        #expect(discovery.json?["jwks_uri"] as? String == stack.baseURL + "/.well-known/jwks.json")
        #expect(discovery.json?["token_endpoint"] as? String == stack.baseURL + "/api/v1/auth/token")
        #expect(discovery.json?["id_token_signing_alg_values_supported"] as? [String] == ["EdDSA"])
        #expect(discovery.json?["issuer"] as? String == "auth-service")
        let jwks = try await api.json(.GET, "/.well-known/jwks.json")
        #expect(jwks.status == 200)
        #expect(jwks.headers["cache-control"].first == "public, max-age=1")
        let keys = try #require(jwks.json?["keys"] as? [[String: Any]])
        #expect(keys.map { $0["kid"] as? String } == [firstKid])
        #expect(keys.first?["kty"] as? String == "OKP" && keys.first?["crv"] as? String == "Ed25519" && keys.first?["d"] == nil)
        #expect(try await Self.verifiedByPyJWT(first.access, stack: stack))

        // A rotation: published at once on every instance, then signing everywhere together.
        let rotated = try await self.keyCommand(["rotate-keys"], stack: stack)
        #expect(rotated.status == 0, "\(rotated.output)")
        try await waitUntil("the new key is published", within: .seconds(10), interval: .milliseconds(200)) {
            let published = try await api.json(.GET, "/.well-known/jwks.json").json?["keys"] as? [[String: Any]]
            return published?.count == 2
        }
        var second = try await api.tokens(name)
        try await waitUntil("new tokens carry the new key", within: .seconds(10), interval: .milliseconds(200)) {
            second = try await api.tokens(name)
            return Self.kid(second.access) != firstKid
        }
        let secondKid = try #require(Self.kid(second.access))
        // Both instances verify both keys' tokens; the first session still refreshes.
        for _ in 0..<4 {
            #expect(try await api.me(bearer: first.access).status == 200)
            #expect(try await api.me(bearer: second.access).status == 200)
        }
        #expect(try await Self.verifiedByPyJWT(first.access, stack: stack))
        #expect(try await Self.verifiedByPyJWT(second.access, stack: stack))
        let refreshed = try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": first.refresh])
        #expect(refreshed.status == 200)
        #expect((refreshed.json?["access_token"] as? String).flatMap(Self.kid) == secondKid)

        // The signing key cannot be retired; the old one can, and its tokens die everywhere.
        #expect(try await self.keyCommand(["retire-key", "--", secondKid], stack: stack).status != 0)
        let retired = try await self.keyCommand(["retire-key", "--", firstKid], stack: stack)
        #expect(retired.status == 0, "\(retired.output)")
        try await waitUntil("the retired key's tokens are refused", within: .seconds(10), interval: .milliseconds(200)) {
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await api.me(bearer: first.access).status) }
            return statuses.allSatisfy { $0 == 401 }
        }
        #expect(try await !Self.verifiedByPyJWT(first.access, stack: stack), "PyJWT finds no key for it")
        #expect(try await Self.verifiedByPyJWT(second.access, stack: stack))
        let listed = try await self.keyCommand(["list-keys"], stack: stack)
        #expect(listed.output.contains("\(secondKid)  signing") && listed.output.contains("\(firstKid)  retired"), "\(listed.output)")
        let statuses = await stack.stop()
        #expect(statuses.values.allSatisfy { $0 == 0 }, "\(statuses)")
    }

    @Test func anHS256StackPublishesNoKey() async throws {
        let stack = try await Stack(tokenInstances: 1)
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let jwks = try await api.json(.GET, "/.well-known/jwks.json")
        #expect(jwks.status == 200)
        #expect((jwks.json?["keys"] as? [Any])?.isEmpty == true)
        let discovery = try await api.json(.GET, "/.well-known/openid-configuration")
        #expect(discovery.json?["id_token_signing_alg_values_supported"] as? [String] == ["HS256"])
        _ = await stack.stop()
    }
}

/// Device sessions through the real stack: a session ended through one token instance is ended
/// for every instance at once (the state is Redis's, read by each check).
@Suite("Device sessions through the real stack")
struct DeviceSessionStackTests {
    @Test func aSessionEndedThroughOneInstanceIsEndedOnAll() async throws {
        let stack = try await Stack(tokenInstances: 2)
        try await stack.waitUntilReady()
        let api = APIClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("devices")
        _ = try await api.register(name)
        let laptop = try await api.tokens(name)
        let phone = try await api.tokens(name)
        let listed = try await api.json(.GET, "/api/v1/sessions", bearer: laptop.access)
        let sessions = try #require(listed.json?["sessions"] as? [[String: Any]])
        #expect(sessions.count == 2)
        let phoneSession = try #require(sessions.first { $0["current"] as? Bool == false }?["id"] as? String)
        #expect(try await api.json(.DELETE, "/api/v1/sessions/\(phoneSession)", bearer: laptop.access).status == 200)
        // Requests spread over both instances: every one refuses the phone's tokens.
        for _ in 0..<6 {
            #expect(try await api.me(bearer: phone.access).status == 401)
            #expect(try await api.me(bearer: laptop.access).status == 200)
        }
        #expect(try await api.json(.POST, "/api/v1/auth/refresh", ["refresh_token": phone.refresh]).status == 401)
        _ = await stack.stop()
    }
}
