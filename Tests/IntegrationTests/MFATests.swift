import Foundation
import NIOHTTP1
import ServiceTesting
import Testing
import WireTesting

/// Two-step sign-in through the real stack (two identity instances), with codes computed by
/// Debian's `oathtool`, as an authenticator app would.
@Suite("Two-step sign-in through the real stack", .serialized)
struct MFATests {
    static let json = [("Content-Type", "application/json")]

    /// `oathtool`'s code for `secret` (base32) at now plus `seconds`.
    static func code(_ secret: String, in seconds: Int = 0) async throws -> String {
        let run = try await ChildProcess.run("/usr/bin/oathtool", ["--totp", "-b", secret, "-N", "now + \(seconds) seconds"], timeout: .seconds(10))
        #expect(run.status == 0, "oathtool: \(run.output)")
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The claims of a JWT, unverified (the stack signs them; the test reads what they carry).
    static func claims(_ jwt: String) -> [String: Any] {
        let parts = jwt.split(separator: ".")
        guard parts.count == 3 else { return [:] }
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return [:] }
        return ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any]) ?? [:]
    }

    /// A registered user with a confirmed factor: its access token, secret and recovery codes.
    static func enrolled(_ stack: Stack, _ name: String) async throws -> (access: String, secret: String, recovery: [String], confirming: String) {
        let client = CookieClient(base: stack.baseURL)
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        let login = try await SeedFlowTests.login(client, name)
        let access = try #require(login.json?["access_token"] as? String)
        let bearer = [("Authorization", "Bearer \(access)")] + Self.json
        let wrong = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/totp/enroll",
            headers: bearer,
            body: #"{"current_password":"Wrong12345"}"#
        )
        #expect(wrong.status == 400, "\(wrong.body)")
        let enroll = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/totp/enroll",
            headers: bearer,
            body: #"{"current_password":"StrongPass123"}"#
        )
        #expect(enroll.status == 200 && enroll.headers.first(name: "cache-control") == "no-store", "\(enroll.body)")
        let secret = try #require(enroll.json?["secret"] as? String)
        let uri = try #require(enroll.json?["otpauth_uri"] as? String)
        #expect(uri == "otpauth://totp/auth-service:\(name)?secret=\(secret)&issuer=auth-service&algorithm=SHA1&digits=6&period=30")
        let bad = try await HTTP.send(.POST, stack.baseURL + "/api/v1/auth/mfa/totp/confirm", headers: bearer, body: #"{"code":"000000"}"#)
        #expect(bad.status == 400 && bad.json?["detail"] as? String == "MFA_BAD_CODE", "\(bad.body)")
        let code = try await Self.code(secret)
        let confirm = try await HTTP.send(.POST, stack.baseURL + "/api/v1/auth/mfa/totp/confirm", headers: bearer, body: #"{"code":"\#(code)"}"#)
        let recovery = try #require(confirm.json?["recovery_codes"] as? [String], "\(confirm.body)")
        #expect(recovery.count == 10)
        let me = try await HTTP.get(stack.baseURL + "/api/v1/users/me", headers: bearer)
        #expect(me.json?["mfa_enabled"] as? Bool == true)
        return (access, secret, recovery, code)
    }

    @Test func everyLoginRouteAsksForASecondFactorAndACodeWorksOnce() async throws {
        let stack = try await Stack(tokenInstances: 1, identityInstances: 2, overrides: ["RATE_LIMIT_ENABLED": "false", "LOG_LEVEL": "debug"])
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("mfa")
        let account = try await Self.enrolled(stack, name)

        // Wrong passwords answer as before: the 403 tells nothing to someone without the password.
        let client = CookieClient(base: stack.baseURL)
        #expect(try await SeedFlowTests.login(client, name, password: "Wrong12345").status == 401)
        let login = try await SeedFlowTests.login(client, name)
        #expect(login.status == 403 && login.json?["detail"] as? String == "mfa_required", "\(login.body)")
        #expect(login.json?["access_token"] == nil && client.refreshCookie == nil, "no tokens before the second step")
        let mfaToken = try #require(login.json?["mfa_token"] as? String)

        // The confirming code's step is spent; the next one signs in, once.
        let confirming = account.confirming
        let reused = try await client.send(
            .POST,
            "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(mfaToken)","code":"\#(confirming)"}"#
        )
        #expect(reused.status == 400 && reused.json?["detail"] as? String == "MFA_BAD_CODE", "\(reused.body)")
        let next = try await Self.code(account.secret, in: 30)
        let verified = try await client.send(
            .POST,
            "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(mfaToken)","code":"\#(next)"}"#
        )
        #expect(verified.status == 200, "\(verified.body)")
        let access = try #require(verified.json?["access_token"] as? String)
        #expect(client.refreshCookie != nil, "the login route's cookie comes with the second step")
        let claims = Self.claims(access)
        #expect(claims["amr"] as? [String] == ["pwd", "otp"])
        let authTime = try #require(claims["auth_time"] as? Int)
        let again = try await client.send(
            .POST,
            "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(mfaToken)","code":"\#(next)"}"#
        )
        #expect(again.status == 400 && again.json?["detail"] as? String == "MFA_BAD_TOKEN", "a challenge is single-use")

        // A refresh keeps how the session was signed in.
        let refreshed = try await client.send(.POST, "/api/v1/refresh")
        let refreshedClaims = Self.claims(try #require(refreshed.json?["access_token"] as? String))
        #expect(refreshedClaims["amr"] as? [String] == ["pwd", "otp"] && refreshedClaims["auth_time"] as? Int == authTime)

        // The OAuth2 token endpoint: its own error member, its own answer, the scopes asked for.
        let token = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: "username=\(name)&password=StrongPass123&scope=profile:read"
        )
        #expect(token.status == 403 && token.json?["error"] as? String == "mfa_required" && token.json?["detail"] as? String == "mfa_required")
        let tokenChallenge = try #require(token.json?["mfa_token"] as? String)
        let replayed = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(tokenChallenge)","code":"\#(next)"}"#
        )
        #expect(replayed.status == 400, "a code is accepted once, whichever identity instance is asked")
        let recovered = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(tokenChallenge)","recovery_code":"\#(account.recovery[0])"}"#
        )
        #expect(
            recovered.status == 200 && recovered.json?["refresh_token"] is String && recovered.json?["scope"] as? String == "profile:read",
            "\(recovered.body)"
        )
        #expect(Self.claims(recovered.json?["access_token"] as? String ?? "")["amr"] as? [String] == ["pwd", "mfa"])

        // Seed 003's router asks too.
        let authKit = try await HTTP.send(
            .POST,
            stack.baseURL + "/auth/login",
            headers: Self.json,
            body: #"{"username_or_email":"\#(name)","password":"StrongPass123"}"#
        )
        #expect(authKit.status == 403 && authKit.json?["mfa_token"] is String, "\(authKit.body)")

        // Turning it off needs the password and a code; then the password alone signs in again.
        let bearer = [("Authorization", "Bearer \(access)")] + Self.json
        let missing = try await HTTP.send(
            .DELETE,
            stack.baseURL + "/api/v1/auth/mfa/totp",
            headers: bearer,
            body: #"{"current_password":"StrongPass123"}"#
        )
        #expect(missing.status == 422)
        let off = try await HTTP.send(
            .DELETE,
            stack.baseURL + "/api/v1/auth/mfa/totp",
            headers: bearer,
            body: #"{"current_password":"StrongPass123","recovery_code":"\#(account.recovery[1])"}"#
        )
        #expect(off.status == 200 && off.json?["mfa_enabled"] as? Bool == false, "\(off.body)")
        let plain = try await SeedFlowTests.login(CookieClient(base: stack.baseURL), name)
        #expect(plain.status == 200 && Self.claims(plain.json?["access_token"] as? String ?? "")["amr"] as? [String] == ["pwd"])
        _ = await stack.stop()
        // No secret, code or challenge in any process's log, at any level the stack ran at.
        let logs = stack.logs
        for secret in [account.secret, mfaToken, tokenChallenge, next, account.confirming] + account.recovery {
            #expect(!logs.contains(secret), "a second factor's secret reached a log")
        }
    }

    @Test func twentyConcurrentSubmissionsOfOneCodeOverTwoInstancesSucceedOnce() async throws {
        let stack = try await Stack(tokenInstances: 1, identityInstances: 2, overrides: ["RATE_LIMIT_ENABLED": "false"])
        try await stack.waitUntilReady()
        let name = SeedFlowTests.unique("mfa")
        let account = try await Self.enrolled(stack, name)
        let stale = try await Self.code(account.secret, in: -90)
        let first = try await SeedFlowTests.login(CookieClient(base: stack.baseURL), name)
        let old = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(first.json?["mfa_token"] as? String ?? "")","code":"\#(stale)"}"#
        )
        #expect(old.status == 400, "a code from 90 s ago")
        var challenges: [String] = []
        for _ in 0..<20 {
            let login = try await SeedFlowTests.login(CookieClient(base: stack.baseURL), name)
            challenges.append(try #require(login.json?["mfa_token"] as? String))
        }
        let code = try await Self.code(account.secret, in: 30)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for challenge in challenges {
                group.addTask {
                    try await HTTP.send(
                        .POST,
                        stack.baseURL + "/api/v1/auth/mfa/verify",
                        headers: Self.json,
                        body: #"{"mfa_token":"\#(challenge)","code":"\#(code)"}"#
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
        // Each refused copy counts as a wrong code: past ten, codes are refused for a while (429).
        #expect(statuses.allSatisfy { [200, 400, 429].contains($0) }, "\(statuses)")
        let locked = try await SeedFlowTests.login(CookieClient(base: stack.baseURL), name)
        let refused = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/verify",
            headers: Self.json,
            body: #"{"mfa_token":"\#(locked.json?["mfa_token"] as? String ?? "")","code":"\#(try await Self.code(account.secret, in: 30))"}"#
        )
        #expect(refused.status == 429 && refused.json?["detail"] as? String == "MFA_LOCKED", "\(refused.body)")
        #expect((refused.headers.first(name: "retry-after").flatMap { Int($0) } ?? 0) > 800, "the lock's own end")
        _ = await stack.stop()
    }

    /// Without the key, identity stops (78, naming it) once an account has a factor; with none,
    /// it serves and the routes answer 404.
    @Test func identityWithoutTheKeyStopsOnceAFactorExists() async throws {
        let database = try await TestDatabase()
        let stack = try await Stack(tokenInstances: 1, overrides: ["DATABASE_URL": database.url, "MFA_ENCRYPTION_KEY": ""])
        try await stack.waitUntilReady()
        let client = CookieClient(base: stack.baseURL)
        let name = SeedFlowTests.unique("nokey")
        #expect(try await SeedFlowTests.register(client, name).status == 201)
        let access = try #require(try await SeedFlowTests.login(client, name).json?["access_token"] as? String)
        let enroll = try await HTTP.send(
            .POST,
            stack.baseURL + "/api/v1/auth/mfa/totp/enroll",
            headers: [("Authorization", "Bearer \(access)")] + Self.json,
            body: #"{"current_password":"StrongPass123"}"#
        )
        #expect(enroll.status == 404, "\(enroll.body)")
        _ = await stack.stop()

        try await database.execute(
            "INSERT INTO mfa_totp (user_id, secret_sealed, confirmed_at) SELECT id, 'v1.00', now() FROM users WHERE username = '\(name)'"
        )
        var environment = stack.environment
        environment["IDENTITY_SOCKET"] = stack.directory.appending("nokey.sock")
        let run = try await ChildProcess.run(Executables.path("identity"), ["serve"], environment: environment, timeout: .seconds(30))
        #expect(run.status == 78 && run.output.contains("MFA_ENCRYPTION_KEY"), "\(run.output)")
        await database.drop()
    }

    /// With a factor on, the password alone no longer changes the password or the address, makes
    /// an API key, deletes the account or resets the password by mail; an administrator can turn
    /// the factor off, which ends the user's sessions.
    @Test func aFactorGuardsWhatThePasswordAloneChanged() async throws {
        let admin = [
            "BOOTSTRAP_ADMIN_USERNAME": "mfaadmin", "BOOTSTRAP_ADMIN_EMAIL": "mfaadmin@example.com", "BOOTSTRAP_ADMIN_PASSWORD": "AdminPass123!",
        ]
        let mail = try await AccountEmailTests.MailStack(admin.merging(["EMAIL_VERIFICATION": "off", "RATE_LIMIT_ENABLED": "false"]) { $1 })
        let api = mail.api
        let name = SeedFlowTests.unique("guard")
        let account = try await Self.enrolled(mail.stack, name)
        let user = try #require(try await api.me(bearer: account.access).json?["id"] as? Int)

        let keyWithout = try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123"], bearer: account.access)
        #expect(keyWithout.status == 403 && keyWithout.detail == "mfa_required" && keyWithout.json?["mfa_token"] == nil, "\(keyWithout.body)")
        let code = try await Self.code(account.secret, in: 30)
        let key = try await api.json(.POST, "/api/v1/api-keys/generate", ["current_password": "StrongPass123", "code": code], bearer: account.access)
        #expect(key.status == 201, "\(key.body)")
        let moved = try await api.json(
            .PUT,
            "/api/v1/users/me",
            ["email": "moved_\(name)@example.com", "current_password": "StrongPass123"],
            bearer: account.access
        )
        #expect(moved.status == 403 && moved.detail == "mfa_required", "\(moved.body)")
        let gone = try await api.json(.DELETE, "/api/v1/users/me", ["current_password": "StrongPass123"], bearer: account.access)
        #expect(gone.status == 403 && gone.detail == "mfa_required", "\(gone.body)")
        let change = ["current_password": "StrongPass123", "new_password": "ChangedPass456"]
        let changeWithout = try await api.json(.POST, "/api/v1/auth/change-password", change, bearer: account.access)
        #expect(changeWithout.status == 403 && changeWithout.detail == "mfa_required", "\(changeWithout.body)")
        let changed = try await api.json(
            .POST,
            "/api/v1/auth/change-password",
            change.merging(["recovery_code": account.recovery[0]]) { $1 },
            bearer: account.access
        )
        #expect(changed.status == 200, "\(changed.body)")

        // The mailbox alone does not reset it either.
        let address = "\(name)@example.com"
        #expect(try await api.json(.POST, "/api/v1/auth/forgot-password", ["email": address]).status == 202)
        try await waitUntil("the reset message", within: .seconds(20), interval: .milliseconds(50)) {
            mail.messages(to: address).contains { $0.contains("Subject: Reset your password") }
        }
        let message = try #require(mail.messages(to: address).last { $0.contains("Subject: Reset your password") })
        let resetCode = try #require(AccountEmailTests.code(in: message))
        let reset = ["email": address, "code": resetCode, "password": "ResetPass789"]
        let resetWithout = try await api.json(.POST, "/api/v1/auth/reset-password", reset)
        #expect(resetWithout.status == 403 && resetWithout.detail == "mfa_required", "\(resetWithout.body)")
        // The page the link opens asks for the code when it is needed, and sends it.
        let link = try #require(AccountEmailTests.token(in: message, page: "reset-password"))
        let page = try await AccountEmailTests.browse([
            ["open": mail.stack.baseURL + "/account/reset-password?token=\(link)"],
            ["fill": "#password", "value": "ResetPass789"],
            ["fill": "#repeat", "value": "ResetPass789"],
            ["click": "button"],
            ["wait": "!document.getElementById('second-factor').hidden"],
            ["eval": "document.getElementById('result').textContent"],
            ["fill": "#mfa-code", "value": account.recovery[1]],
            ["click": "button"],
            ["wait": "document.getElementById('result').className === 'ok'"],
            ["eval": "document.getElementById('result').textContent"],
            ["eval": "window.cspViolations.length"],
        ])
        #expect(page.first as? String == "This account has two-step sign-in: add a code below.", "\(page)")
        #expect(page.dropFirst().first as? String == "Your password is changed. Sign in with it.", "\(page)")
        #expect(page.last as? Int == 0, "no content-security-policy violation")

        // An administrator turns it off: the user's sessions end, the password alone signs in again.
        let challenge = try await SeedFlowTests.login(CookieClient(base: mail.stack.baseURL), name, password: "ResetPass789")
        #expect(challenge.status == 403, "still a second factor: \(challenge.body)")
        let session = try await api.json(
            .POST,
            "/api/v1/auth/mfa/verify",
            ["mfa_token": challenge.json?["mfa_token"] as? String ?? "", "recovery_code": account.recovery[2]]
        )
        let sessionToken = try #require(session.json?["access_token"] as? String, "\(session.body)")
        // The super admin makes a user an admin; that admin resets the user's factor, but not the
        // super admin's, and nobody resets their own here.
        let superToken = try await api.tokens("mfaadmin", password: "AdminPass123!").access
        let superID = try #require(try await api.me(bearer: superToken).json?["id"] as? Int)
        let own = try await api.json(.DELETE, "/api/v1/admin/users/\(superID)/mfa", bearer: superToken)
        #expect(own.status == 400, "one's own factor goes with the password and a code: \(own.body)")
        let peer = SeedFlowTests.unique("admin")
        let peerID = try await api.register(peer)
        let promoted = try await api.json(.PUT, "/api/v1/admin/users/\(peerID)/role?new_role=admin", bearer: superToken)
        #expect(promoted.status == 200, "\(promoted.body)")
        let adminToken = try await api.tokens(peer).access
        let higher = try await api.json(.DELETE, "/api/v1/admin/users/\(superID)/mfa", bearer: adminToken)
        #expect(higher.status == 403, "\(higher.body)")
        let off = try await api.json(.DELETE, "/api/v1/admin/users/\(user)/mfa", bearer: adminToken)
        #expect(off.status == 200 && off.json?["mfa_enabled"] as? Bool == false, "\(off.body)")
        let again = try await api.json(.DELETE, "/api/v1/admin/users/\(user)/mfa", bearer: adminToken)
        #expect(again.status == 400 && again.detail == "MFA_NOT_ENABLED")
        #expect(try await api.me(bearer: sessionToken).status == 401, "the user's sessions ended")
        let plain = try await SeedFlowTests.login(CookieClient(base: mail.stack.baseURL), name, password: "ResetPass789")
        #expect(plain.status == 200, "\(plain.body)")
        try await waitUntil("the notice", within: .seconds(20), interval: .milliseconds(50)) {
            mail.messages(to: address).contains { $0.contains("Subject: An administrator turned off two-step sign-in") }
        }
    }
}
