import Foundation
import NIOHTTP1
import Testing

/// Seed 001's end-to-end tests. Each starts a whole stack; they run one after another so that
/// the suite as a whole does not start a dozen stacks at once on a two-core machine.
@Suite("Seed 001 through the real stack", .serialized)
struct Seed001Tests {}

/// A client of seed 001's API flow: JSON and form bodies, bearer tokens and API keys.
struct APIClient: Sendable {
    let base: String

    func json(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil, bearer: String? = nil, apiKey: String? = nil) async throws
        -> HTTP.Reply
    {
        var headers: [(String, String)] = []
        if let bearer { headers.append(("Authorization", "Bearer \(bearer)")) }
        if let apiKey { headers.append(("X-API-Key", apiKey)) }
        var text: String?
        if let body {
            headers.append(("Content-Type", "application/json"))
            text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        }
        return try await HTTP.send(method, self.base + path, headers: headers, body: text)
    }

    func form(_ path: String, _ fields: [(String, String)]) async throws -> HTTP.Reply {
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await HTTP.send(.POST, self.base + path, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
    }

    /// Registers `name` (email `name@example.com`) through seed 001's route; the new user's id.
    @discardableResult
    func register(_ name: String, password: String = "StrongPass123") async throws -> Int {
        let reply = try await self.json(
            .POST,
            "/api/v1/users/register",
            ["username": name, "email": "\(name)@example.com", "password": password, "full_name": "Test User"]
        )
        guard reply.status == 201, let id = reply.json?["id"] as? Int else { throw TestFailure("register \(name): \(reply.status) \(reply.body)") }
        return id
    }

    /// `POST /api/v1/auth/token` with the password grant.
    func token(_ login: String, password: String = "StrongPass123", scope: String? = nil) async throws -> HTTP.Reply {
        var fields = [("username", login), ("password", password)]
        if let scope { fields.append(("scope", scope)) }
        return try await self.form("/api/v1/auth/token", fields)
    }

    /// Logs in and answers `(access_token, refresh_token)`.
    func tokens(_ login: String, password: String = "StrongPass123", scope: String? = nil) async throws -> (access: String, refresh: String) {
        let reply = try await self.token(login, password: password, scope: scope)
        guard reply.status == 200, let access = reply.json?["access_token"] as? String, let refresh = reply.json?["refresh_token"] as? String else {
            throw TestFailure("token for \(login): \(reply.status) \(reply.body)")
        }
        return (access, refresh)
    }

    func me(bearer: String? = nil, apiKey: String? = nil) async throws -> HTTP.Reply {
        try await self.json(.GET, "/api/v1/users/me", bearer: bearer, apiKey: apiKey)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension HTTP.Reply {
    var detail: String { self.json?["detail"] as? String ?? "" }
    var jsonArray: [[String: Any]]? { (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [[String: Any]] }
}
