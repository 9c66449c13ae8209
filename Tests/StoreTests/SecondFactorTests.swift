import ExtrasBase64
import Foundation
import ServiceRuntime
import ServiceTesting
import Testing
import WireProtocol
import WireTesting

@testable import IdentityService

/// The second factor against the real PostgreSQL: RFC 6238's codes, enrolment and confirmation,
/// the second step of a login, each code accepted once (also under concurrency), recovery codes,
/// the per-account lock, and nothing readable at rest.
@Suite("Second factor (TOTP)")
struct SecondFactorTests {
    /// RFC 6238 appendix B, SHA-1, cut to 6 digits.
    @Test func rfc6238Vectors() {
        let secret = Array("12345678901234567890".utf8)
        let vectors: [(Double, String)] = [
            (59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"), (2_000_000_000, "279037"),
        ]
        for (time, code) in vectors {
            #expect(TOTP.code(secret: secret, step: TOTP.step(at: time)) == code, "at \(time)")
        }
        let now = 1_234_567_890.0
        #expect(TOTP.matchingStep(secret: secret, code: "005924", now: now, after: 0) == TOTP.step(at: now))
        #expect(TOTP.matchingStep(secret: secret, code: "005924", now: now + 30, after: 0) == TOTP.step(at: now), "one step of skew")
        #expect(TOTP.matchingStep(secret: secret, code: "005924", now: now + 60, after: 0) == nil, "two steps late")
        #expect(TOTP.matchingStep(secret: secret, code: "005924", now: now, after: TOTP.step(at: now)) == nil, "a step already used")
        #expect(TOTP.matchingStep(secret: secret, code: "05924", now: now, after: 0) == nil)
        #expect(TOTP.matchingStep(secret: secret, code: "00592a", now: now, after: 0) == nil)
    }

    @Test func recoveryCodesHaveSixtyBitsAndAreTypedAnyWay() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let code = RecoveryCode.generate()
            #expect(code.count == 14 && code.split(separator: "-").count == 3)
            #expect(
                RecoveryCode.normalized(code.uppercased().replacingOccurrences(of: "-", with: " ")) == code.replacingOccurrences(of: "-", with: "")
            )
            seen.insert(code)
        }
        #expect(seen.count == 1000)
        #expect(RecoveryCode.normalized("0000-0000-0000") == nil, "look-alikes are not in the alphabet")
    }

    /// A user with a confirmed factor: the operations, the user, the secret and the recovery codes.
    struct Enrolled {
        let operations: IdentityOperations
        let clock: ManualClock
        let user: WireUser
        let secret: [UInt8]
        let recoveryCodes: [String]
        let password = "StrongPass123"

        func code(stepsFromNow: Int64 = 0) -> String {
            TOTP.code(secret: self.secret, step: TOTP.step(at: self.clock.now) + stepsFromNow)
        }

        /// Logs in with the password: the challenge's token.
        func challenge(route: String = "login") async throws -> String {
            var request = WireVerifyCredentialsRequest()
            request.login = self.user.username
            request.password = self.password
            request.route = route
            do {
                _ = try await self.operations.verifyCredentials(request, IdentityFixtures.context)
            } catch IdentityError.mfaRequired(let challenge?) {
                return challenge.value
            }
            Issue.record("the right password of an account with a factor did not ask for a code")
            return ""
        }

        func complete(_ token: String, code: String = "", recoveryCode: String = "") async throws -> WireMfaLogin {
            var request = WireCompleteMfaLoginRequest()
            request.mfaToken = token
            request.factor.code = code
            request.factor.recoveryCode = recoveryCode
            return try await self.operations.completeMFALogin(request, IdentityFixtures.context)
        }
    }

    static func enrolled(_ database: TestDatabase, _ name: String) async throws -> Enrolled {
        let clock = ManualClock(WallClock.now())
        let operations = try IdentityFixtures.operations(database, clock: clock, secondFactor: true)
        let user = try await operations.register(IdentityFixtures.registration(name), IdentityFixtures.context)
        var enroll = WireEnrollTotpRequest()
        enroll.userID = user.id
        enroll.currentPassword = "StrongPass123"
        let enrollment = try await operations.enrollTOTP(enroll, IdentityFixtures.context)
        #expect(enrollment.secret.count == 32, "160 bits in base32")
        #expect(enrollment.otpauthUri.hasPrefix("otpauth://totp/auth-service:\(name)?secret=\(enrollment.secret)&issuer=auth-service"))
        #expect(enrollment.otpauthUri.hasSuffix("&algorithm=SHA1&digits=6&period=30"))
        let secret = try Base32.decode(string: enrollment.secret)
        var confirm = WireConfirmTotpRequest()
        confirm.userID = user.id
        confirm.code = TOTP.code(secret: secret, step: TOTP.step(at: clock.now))
        let codes = try await operations.confirmTOTP(confirm, IdentityFixtures.context)
        #expect(codes.codes.count == 10 && Set(codes.codes).count == 10)
        let after = try await operations.getUser(
            {
                var r = WireGetUserRequest(); r.id = user.id; return r
            }()
        )
        #expect(after.mfaEnabled)
        return Enrolled(operations: operations, clock: clock, user: user, secret: secret, recoveryCodes: codes.codes)
    }

    @Test func aCodeSignsInOnceAndTheConfirmingCodeNever() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let token = try await account.challenge()
        await #expect(throws: IdentityError.badMFACode, "the confirming code's step is used") {
            try await account.complete(token, code: account.code())
        }
        let login = try await account.complete(token, code: account.code(stepsFromNow: 1))
        #expect(login.user.id == account.user.id && login.route == "login" && login.amr == ["pwd", "otp"])
        await #expect(throws: IdentityError.badMFAToken, "a challenge is spent by its login") {
            try await account.complete(token, code: account.code(stepsFromNow: 1))
        }
        let again = try await account.challenge(route: "token")
        await #expect(throws: IdentityError.badMFACode, "a code is accepted once") {
            try await account.complete(again, code: account.code(stepsFromNow: 1))
        }
        account.clock.advance(90)
        await #expect(throws: IdentityError.badMFACode, "a code from 90 s ago") {
            try await account.complete(again, code: account.code(stepsFromNow: -3))
        }
        #expect(try await account.complete(again, code: account.code(stepsFromNow: -1)).route == "token", "one step of skew")
    }

    @Test func twentyConcurrentSubmissionsOfOneCodeSucceedOnce() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        var tokens: [String] = []
        for _ in 0..<20 { tokens.append(try await account.challenge()) }
        let code = account.code(stepsFromNow: 1)
        let successes = await withTaskGroup(of: Bool.self) { group in
            for token in tokens { group.addTask { (try? await account.complete(token, code: code)) != nil } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 1)
    }

    @Test func aRecoveryCodeWorksOnceAndAChallengeAllowsFiveAttempts() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let token = try await account.challenge()
        let login = try await account.complete(token, recoveryCode: account.recoveryCodes[0].uppercased())
        #expect(login.amr == ["pwd", "mfa"])
        let next = try await account.challenge()
        await #expect(throws: IdentityError.badMFACode) { try await account.complete(next, recoveryCode: account.recoveryCodes[0]) }
        for _ in 0..<3 {
            await #expect(throws: IdentityError.badMFACode) { try await account.complete(next, code: "000000") }
        }
        await #expect(throws: IdentityError.badMFACode) { try await account.complete(next, code: "111111") }
        await #expect(throws: IdentityError.badMFAToken, "five attempts, then the challenge is dead") {
            try await account.complete(next, code: account.code(stepsFromNow: 1))
        }
    }

    @Test func tenWrongCodesLockTheFactor() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        for _ in 0..<2 {
            let token = try await account.challenge()
            for _ in 0..<5 { _ = try? await account.complete(token, code: "999999") }
        }
        let token = try await account.challenge()
        do {
            _ = try await account.complete(token, code: account.code(stepsFromNow: 1))
            Issue.record("the right code was accepted while locked")
        } catch IdentityError.mfaLocked(let seconds) {
            #expect(seconds >= 800, "even the right code, for 15 minutes: \(seconds) s left (the test's clock stands still)")
        }
    }

    @Test func theDatabaseHoldsNoSecretNoRecoveryCodeAndNoChallengeToken() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let token = try await account.challenge()
        let rows = try await database.pool.withConnection { connection in
            try connection.query(
                PreparedStatement(
                    name: "mfa_dump",
                    sql: """
                        SELECT secret_sealed AS value FROM mfa_totp UNION ALL SELECT code_digest FROM mfa_recovery_codes
                        UNION ALL SELECT token_digest FROM mfa_challenges
                        """
                )
            ).rows
        }
        let stored = rows.compactMap { $0.first ?? nil }.joined(separator: "\n").lowercased()
        #expect(!stored.isEmpty)
        let base32 = SecondFactor.base32(account.secret).lowercased()
        #expect(!stored.contains(base32) && !stored.contains(Hex.encode(account.secret)))
        for code in account.recoveryCodes { #expect(!stored.contains(code.replacingOccurrences(of: "-", with: ""))) }
        #expect(!stored.contains(token.lowercased()))
        await #expect(throws: IdentityError.mfaAlreadyEnabled) {
            var enroll = WireEnrollTotpRequest()
            enroll.userID = account.user.id
            enroll.currentPassword = account.password
            _ = try await account.operations.enrollTOTP(enroll, IdentityFixtures.context)
        }
    }

    @Test func aConfirmationChecksTheSecretItWasCheckedAgainst() async throws {
        let database = try await TestDatabase()
        let clock = ManualClock(WallClock.now())
        let operations = try IdentityFixtures.operations(database, clock: clock, secondFactor: true)
        let user = try await operations.register(IdentityFixtures.registration("totp_\(UInt32.random(in: 0...UInt32.max))"), IdentityFixtures.context)
        var enroll = WireEnrollTotpRequest()
        enroll.userID = user.id
        enroll.currentPassword = "StrongPass123"
        let first = try Base32.decode(string: try await operations.enrollTOTP(enroll, IdentityFixtures.context).secret)
        _ = try await operations.enrollTOTP(enroll, IdentityFixtures.context)
        var confirm = WireConfirmTotpRequest()
        confirm.userID = user.id
        confirm.code = TOTP.code(secret: first, step: TOTP.step(at: clock.now))
        await #expect(throws: IdentityError.badMFACode, "the first secret was replaced by the second enrolment") {
            try await operations.confirmTOTP(confirm, IdentityFixtures.context)
        }
    }

    @Test func twoReplacementsAtOnceLeaveOneSetOfRecoveryCodes() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let store = PostgresMFAStore(pool: database.pool)
        let sets = (0..<8).map { set in (0..<10).map { Hex.encode(Array("set \(set) code \($0)".utf8)) } }
        let replaced = try await withThrowingTaskGroup(of: Bool.self) { group in
            for digests in sets { group.addTask { try await store.replaceRecoveryCodes(userID: account.user.id, digests: digests) } }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(replaced == 8)
        let stored = try await database.pool.withConnection { connection in
            try connection.query(
                PreparedStatement(name: "mfa_count_codes", sql: "SELECT count(*) AS n FROM mfa_recovery_codes WHERE user_id = $1"),
                [String(account.user.id)]
            ).first("n")
        }
        #expect(stored == "10", "one set lives, not several")
    }

    @Test func aChallengeDiesWithThePasswordThatWonIt() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let token = try await account.challenge()
        var change = WireChangePasswordRequest()
        change.userID = account.user.id
        change.currentPassword = account.password
        change.newPassword = "AnotherStrong456"
        change.factor.recoveryCode = account.recoveryCodes[5]
        _ = try await account.operations.changePassword(change, IdentityFixtures.context)
        await #expect(throws: IdentityError.badMFAToken) {
            try await account.complete(token, code: account.code(stepsFromNow: 1))
        }
    }

    @Test func oneTokenSentTwiceAtOnceSpendsOneFactor() async throws {
        let database = try await TestDatabase()
        let account = try await Self.enrolled(database, "totp_\(UInt32.random(in: 0...UInt32.max))")
        let token = try await account.challenge()
        async let byCode = try? account.complete(token, code: account.code(stepsFromNow: 1))
        async let byRecovery = try? account.complete(token, recoveryCode: account.recoveryCodes[9])
        let (code, recovery) = await (byCode, byRecovery)
        #expect((code == nil) != (recovery == nil), "one of the two signs in")
        // The loser's factor was not spent: the claim kept it from being checked.
        let next = try await account.challenge()
        if code != nil {
            #expect(try await account.complete(next, recoveryCode: account.recoveryCodes[9]).amr == ["pwd", "mfa"])
        } else {
            #expect(try await account.complete(next, code: account.code(stepsFromNow: 1)).amr == ["pwd", "otp"])
        }
    }
}
