import IdentityService
import Testing

@Suite("Registration rules and lockout policy")
struct RegistrationRulesTests {
    let rules = RegistrationRules()

    @Test(arguments: ["abc", "john_doe", "A-b_9", String(repeating: "x", count: 50)])
    func goodUsernames(_ name: String) throws { try rules.checkUsername(name) }

    @Test(arguments: ["ab", String(repeating: "x", count: 51), "john doe", "jöhn", "john@doe", "", "a\u{0}bc"])
    func badUsernames(_ name: String) {
        #expect(throws: IdentityError.self) { try rules.checkUsername(name) }
    }

    @Test func emailsAreNormalised() throws {
        #expect(try rules.normalizedEmail("  John.Doe+tag@Example.COM ") == "john.doe+tag@example.com")
    }

    @Test(arguments: [
        "john", "john@", "@example.com", "john@example", "john@@example.com", "jo hn@example.com", "john@example.c", "john..doe@example.com",
        "john@-example.com",
    ])
    func badEmails(_ email: String) {
        #expect(throws: IdentityError.self) { _ = try rules.normalizedEmail(email) }
    }

    @Test func theSeedsPasswordIsAccepted() throws {
        try rules.checkPassword("StrongPass123")
    }

    @Test(arguments: [
        ("Short1A", "at least 8"),
        ("alllowercase123", "upper-case"),
        ("ALLUPPERCASE123", "lower-case"),
        ("NoDigitsHere", "digit"),
        (String(repeating: "Aa1", count: 43), "at most 128"),
    ])
    func weakPasswordsSayWhatIsMissing(password: String, reason: String) {
        #expect {
            try rules.checkPassword(password)
        } throws: { error in
            guard case IdentityError.invalidField(let field, let message) = error else { return false }
            return field == "password" && message.contains(reason) && !message.contains(password)
        }
    }

    @Test(arguments: ["Password123", "Qwerty123", "Passw0rd", "Letmein1", "Iloveyou1"])
    func commonPasswordsAreRefusedWhateverTheirCase(password: String) {
        #expect(throws: IdentityError.invalidField(field: "password", reason: "is too common; choose another")) {
            try rules.checkPassword(password)
        }
    }

    @Test func theShippedListHoldsTenThousandPasswords() {
        #expect(PasswordDenylist.shipped.count == 10_000)
        #expect(PasswordDenylist.shipped.contains("123456") && PasswordDenylist.shipped.contains("PASSWORD"))
        let extended = PasswordDenylist(extra: ["Correct-Horse-7", "", "  spaced  "])
        #expect(extended.contains("correct-horse-7") && extended.contains("Spaced") && extended.count == 10_002)
    }

    @Test func aPasswordMayNotContainTheAccountsNames() throws {
        let refused = IdentityError.invalidField(field: "password", reason: "must not contain the username or the email's name")
        #expect(throws: refused) { try rules.checkPassword("JohnDoe2026x", username: "johndoe", email: "jd@example.com") }
        #expect(throws: refused) { try rules.checkPassword("Xx-Jdoe-2026", username: "someone", email: "JDoe@example.com") }
        try rules.checkPassword("StrongPass123", username: "johndoe", email: "jd@example.com")
        try rules.checkPassword("StrongPass123", username: "ab", email: "x@example.com")
    }

    @Test func specialCharacterOnlyWhenConfigured() throws {
        let strict = RegistrationRules(requireSpecialCharacter: true)
        #expect(throws: IdentityError.self) { try strict.checkPassword("StrongPass123") }
        try strict.checkPassword("StrongPass123!")
    }

    @Test func lockoutPolicyExpires() {
        let policy = LockoutPolicy(maximumAttempts: 5, durationSeconds: 1800)
        let end = policy.lockEnd(from: 1000)
        #expect(end == 2800)
        #expect(policy.isLocked(until: end, now: 2799))
        #expect(!policy.isLocked(until: end, now: 2800))
        #expect(!policy.isLocked(until: nil, now: 0))
    }
}
