import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import ServiceTesting
import Testing

/// Device sessions through the real router and the real operations in process.
@Suite("Device sessions")
struct SessionRouteTests {
    typealias Routes = RouteTests

    /// Logs `name` in from a client called `agent`: its access and refresh tokens.
    static func logIn(_ client: any TestClientProtocol, _ name: String, agent: String) async throws -> (access: String, refresh: String) {
        let login = try await client.execute(
            uri: "/api/v1/auth/token",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .userAgent: agent],
            body: ByteBuffer(string: "username=\(name)&password=StrongPass123")
        )
        #expect(login.status == .ok)
        let body = Routes.json(login.body)
        return (try #require(body["access_token"] as? String), try #require(body["refresh_token"] as? String))
    }

    static func sessions(_ client: any TestClientProtocol, _ access: String, uri: String = "/api/v1/sessions") async throws -> [[String: Any]] {
        let list = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(access)"])
        #expect(list.status == .ok)
        return Routes.json(list.body)["sessions"] as? [[String: Any]] ?? []
    }

    static func me(_ client: any TestClientProtocol, _ access: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/api/v1/users/me", method: .get, headers: [.authorization: "Bearer \(access)"]).status
    }

    static func refresh(_ client: any TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: "/api/v1/auth/refresh",
            method: .post,
            headers: [.contentType: "application/json"],
            body: ByteBuffer(string: #"{"refresh_token":"\#(token)"}"#)
        ).status
    }

    @Test func aUserListsEndsOneAndEndsTheOthers() async throws {
        try await Routes.withGateway { client in
            let name = Routes.unique("sess")
            _ = try await Routes.register(client, name)
            let laptop = try await Self.logIn(client, name, agent: "laptop")
            let phone = try await Self.logIn(client, name, agent: "phone")
            let tablet = try await Self.logIn(client, name, agent: "tablet")

            let listed = try await Self.sessions(client, laptop.access)
            #expect(listed.count == 3)
            #expect(Set(listed.compactMap { $0["user_agent"] as? String }) == ["laptop", "phone", "tablet"])
            #expect(listed.filter { $0["current"] as? Bool == true }.map { $0["user_agent"] as? String } == ["laptop"])
            for session in listed {
                #expect((session["id"] as? String)?.count == 22)
                #expect((session["created_at"] as? String)?.hasSuffix("Z") == true)
                #expect(session["last_used_at"] is String && session["expires_at"] is String && session["ip_address"] is String)
            }
            let phoneID = try #require(listed.first { $0["user_agent"] as? String == "phone" }?["id"] as? String)

            // Ending the phone's session: its refresh token and its access token die at once.
            let ended = try await client.execute(
                uri: "/api/v1/sessions/\(phoneID)",
                method: .delete,
                headers: [.authorization: "Bearer \(laptop.access)"]
            )
            #expect(ended.status == .ok)
            #expect(try await Self.me(client, phone.access) == .unauthorized)
            #expect(try await Self.refresh(client, phone.refresh) == .unauthorized)
            #expect(try await Self.me(client, laptop.access) == .ok)
            let again = try await client.execute(
                uri: "/api/v1/sessions/\(phoneID)",
                method: .delete,
                headers: [.authorization: "Bearer \(laptop.access)"]
            )
            #expect(again.status == .notFound)
            #expect(Routes.json(again.body)["detail"] as? String == "Session not found")
            let malformed = try await client.execute(
                uri: "/api/v1/sessions/not-an-id",
                method: .delete,
                headers: [.authorization: "Bearer \(laptop.access)"]
            )
            #expect(malformed.status == .notFound)

            // Everywhere else: the tablet ends, the laptop stays.
            let others = try await client.execute(
                uri: "/api/v1/sessions/revoke-all",
                method: .post,
                headers: [.authorization: "Bearer \(laptop.access)", .contentType: "application/json"],
                body: ByteBuffer(string: #"{"keep_current":true}"#)
            )
            #expect(others.status == .ok)
            #expect(Routes.json(others.body)["sessions_ended"] as? Int == 1)
            #expect(try await Self.me(client, tablet.access) == .unauthorized)
            #expect(try await Self.refresh(client, tablet.refresh) == .unauthorized)
            #expect(try await Self.me(client, laptop.access) == .ok)
            #expect(try await Self.sessions(client, laptop.access).count == 1)

            // Everywhere: the caller's session too.
            let all = try await client.execute(
                uri: "/api/v1/sessions/revoke-all",
                method: .post,
                headers: [.authorization: "Bearer \(laptop.access)"]
            )
            #expect(all.status == .ok)
            #expect(try await Self.me(client, laptop.access) == .unauthorized)
            #expect(try await Self.refresh(client, laptop.refresh) == .unauthorized)

            let bad = try await client.execute(
                uri: "/api/v1/sessions/revoke-all?keep_current=maybe",
                method: .post,
                headers: [.authorization: "Bearer \(laptop.access)"]
            )
            #expect(bad.status == .unauthorized, "the caller's own token ended with the rest")
            #expect(try await client.execute(uri: "/api/v1/sessions", method: .get).status == .unauthorized)
        }
    }

    @Test func anotherUsersSessionCannotBeEnded() async throws {
        try await Routes.withGateway { client in
            let owner = Routes.unique("own")
            let other = Routes.unique("oth")
            _ = try await Routes.register(client, owner)
            _ = try await Routes.register(client, other)
            let ownerTokens = try await Self.logIn(client, owner, agent: "a")
            let otherTokens = try await Self.logIn(client, other, agent: "b")
            let ownerSession = try #require(try await Self.sessions(client, ownerTokens.access).first?["id"] as? String)
            let attempt = try await client.execute(
                uri: "/api/v1/sessions/\(ownerSession)",
                method: .delete,
                headers: [.authorization: "Bearer \(otherTokens.access)"]
            )
            #expect(attempt.status == .notFound)
            #expect(try await Self.me(client, ownerTokens.access) == .ok)
            let bad = try await client.execute(
                uri: "/api/v1/sessions/revoke-all?keep_current=maybe",
                method: .post,
                headers: [.authorization: "Bearer \(otherTokens.access)"]
            )
            #expect(bad.status == .unprocessableContent)
        }
    }

    @Test func logoutAndReuseEndEveryAccessTokenOfTheSession() async throws {
        try await Routes.withGateway { client in
            let name = Routes.unique("reuse")
            _ = try await Routes.register(client, name)
            let first = try await Self.logIn(client, name, agent: "a")
            // A rotation: the first access token is still current, from the same session.
            let rotated = try await client.execute(
                uri: "/api/v1/auth/refresh",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"refresh_token":"\#(first.refresh)"}"#)
            )
            #expect(rotated.status == .ok)
            let second = try #require(Routes.json(rotated.body)["access_token"] as? String)
            #expect(try await Self.me(client, first.access) == .ok)
            // The spent token comes back: theft; the thief's and the owner's access tokens die.
            #expect(try await Self.refresh(client, first.refresh) == .unauthorized)
            #expect(try await Self.me(client, first.access) == .unauthorized)
            #expect(try await Self.me(client, second) == .unauthorized)
        }
    }
}

extension SessionRouteTests {
    @Test func anAdministratorListsAndEndsAUsersSessions() async throws {
        try await Routes.withGateway { client, backends in
            let admin = Routes.unique("adm")
            let user = Routes.unique("usr")
            _ = try await Routes.register(client, admin)
            let registered = try await Routes.register(client, user)
            let userID = try #require(Routes.json(registered.body)["id"] as? Int)
            try await backends.database.execute("UPDATE users SET role = 'admin' WHERE username = '\(admin)'")
            let adminTokens = try await Self.logIn(client, admin, agent: "console")
            let first = try await Self.logIn(client, user, agent: "one")
            let second = try await Self.logIn(client, user, agent: "two")
            let uri = "/api/v1/admin/users/\(userID)/sessions"

            let listed = try await Self.sessions(client, adminTokens.access, uri: uri)
            #expect(Set(listed.compactMap { $0["user_agent"] as? String }) == ["one", "two"])
            #expect(listed.allSatisfy { $0["current"] as? Bool == false })
            let oneID = try #require(listed.first { $0["user_agent"] as? String == "one" }?["id"] as? String)

            let forbidden = try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(first.access)"])
            #expect(forbidden.status == .forbidden)
            let endOne = try await client.execute(uri: "\(uri)/\(oneID)", method: .delete, headers: [.authorization: "Bearer \(adminTokens.access)"])
            #expect(endOne.status == .ok)
            #expect(try await Self.me(client, first.access) == .unauthorized)
            #expect(try await Self.me(client, second.access) == .ok)

            let endAll = try await client.execute(uri: uri, method: .delete, headers: [.authorization: "Bearer \(adminTokens.access)"])
            #expect(endAll.status == .ok)
            #expect(Routes.json(endAll.body)["sessions_ended"] as? Int == 1)
            #expect(try await Self.me(client, second.access) == .unauthorized)
            #expect(try await Self.sessions(client, adminTokens.access, uri: uri).isEmpty)
            #expect(try await Self.me(client, adminTokens.access) == .ok)
        }
    }
}

extension SessionRouteTests {
    @Test func onlyASuperAdminSeesOrEndsASuperAdminsSessions() async throws {
        try await Routes.withGateway { client, backends in
            let admin = Routes.unique("adm")
            let root = Routes.unique("root")
            let otherRoot = Routes.unique("root")
            _ = try await Routes.register(client, admin)
            let registered = try await Routes.register(client, root)
            _ = try await Routes.register(client, otherRoot)
            let rootID = try #require(Routes.json(registered.body)["id"] as? Int)
            try await backends.database.execute("UPDATE users SET role = 'admin' WHERE username = '\(admin)'")
            try await backends.database.execute("UPDATE users SET role = 'super_admin' WHERE username IN ('\(root)', '\(otherRoot)')")
            let adminTokens = try await Self.logIn(client, admin, agent: "console")
            let rootTokens = try await Self.logIn(client, root, agent: "root-laptop")
            let otherRootTokens = try await Self.logIn(client, otherRoot, agent: "console")
            let uri = "/api/v1/admin/users/\(rootID)/sessions"
            let sessionID = try #require(try await Self.sessions(client, rootTokens.access).first?["id"] as? String)

            // An admin: 403 for the list, one session and all of them, and the session lives on.
            for (method, path) in [(HTTPRequest.Method.get, uri), (.delete, "\(uri)/\(sessionID)"), (.delete, uri)] {
                let refused = try await client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(adminTokens.access)"])
                #expect(refused.status == .forbidden, "\(method) \(path)")
                #expect(Routes.json(refused.body)["detail"] as? String == "Cannot modify a SUPER_ADMIN user")
            }
            #expect(try await Self.me(client, rootTokens.access) == .ok)
            // Nor a super_admin's tier (it chooses their rate limit).
            let tier = try await client.execute(
                uri: "/api/v1/admin/users/\(rootID)/tier?tier=Free",
                method: .put,
                headers: [.authorization: "Bearer \(adminTokens.access)"]
            )
            #expect(tier.status == .forbidden)
            // A deactivated user's sessions are still theirs to list (none): 200, not the 401 an
            // inactive account's own token gets.
            let gone = Routes.unique("gone")
            let goneID = try #require(Routes.json(try await Routes.register(client, gone).body)["id"] as? Int)
            try await backends.database.execute("UPDATE users SET is_active = false WHERE id = \(goneID)")
            let goneSessions = try await client.execute(
                uri: "/api/v1/admin/users/\(goneID)/sessions",
                method: .get,
                headers: [.authorization: "Bearer \(adminTokens.access)"]
            )
            #expect(goneSessions.status == .ok)
            // An unknown user: 404, whoever asks.
            let unknown = try await client.execute(
                uri: "/api/v1/admin/users/999999999/sessions",
                method: .get,
                headers: [.authorization: "Bearer \(adminTokens.access)"]
            )
            #expect(unknown.status == .notFound)

            // Another super_admin may.
            #expect(try await Self.sessions(client, otherRootTokens.access, uri: uri).count == 1)
            let ended = try await client.execute(uri: uri, method: .delete, headers: [.authorization: "Bearer \(otherRootTokens.access)"])
            #expect(ended.status == .ok)
            #expect(try await Self.me(client, rootTokens.access) == .unauthorized)
        }
    }
}
