/// The rules a new account must meet: username shape, email syntax, password policy.
///
/// Lengths are checked first and cheaply, before anything is hashed.
public struct RegistrationRules: Sendable {
    public var passwordMinimumLength: Int
    public var passwordMaximumLength: Int
    public var requireSpecialCharacter: Bool
    /// Passwords refused as too common.
    public var denylist: PasswordDenylist

    public init(
        passwordMinimumLength: Int = 8,
        passwordMaximumLength: Int = 128,
        requireSpecialCharacter: Bool = false,
        denylist: PasswordDenylist = .shipped
    ) {
        self.passwordMinimumLength = passwordMinimumLength
        self.passwordMaximumLength = passwordMaximumLength
        self.requireSpecialCharacter = requireSpecialCharacter
        self.denylist = denylist
    }

    /// 3 to 50 of `[A-Za-z0-9_-]`.
    public func checkUsername(_ username: String) throws(IdentityError) {
        let bytes = username.utf8
        guard (3...50).contains(bytes.count) else {
            throw .invalidField(field: "username", reason: "must be 3 to 50 characters")
        }
        guard bytes.allSatisfy(Self.isUsernameByte) else {
            throw .invalidField(field: "username", reason: "may contain only letters, digits, '_' and '-'")
        }
    }

    /// The email trimmed and lower-cased, if it is syntactically valid.
    public func normalizedEmail(_ email: String) throws(IdentityError) -> String {
        let trimmed = email.trimmingCharacters(in: " \t\r\n")
        let lowered = trimmed.lowercased()
        let parts = lowered.split(separator: "@", omittingEmptySubsequences: false)
        // Letters of any script, but no invisible or line-breaking character (controls, format
        // characters such as zero-width and bidi marks, separators), which would make addresses
        // that look alike differ. Addresses are not Unicode-normalised: an NFC and an NFD spelling
        // are two addresses.
        guard lowered.utf8.count <= 254, parts.count == 2, lowered.unicodeScalars.allSatisfy(Self.isVisible) else {
            throw .invalidField(field: "email", reason: "is not a valid email address")
        }
        let local = parts[0]
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...64).contains(local.utf8.count), local.utf8.allSatisfy(Self.isLocalPartByte),
            !local.hasPrefix("."), !local.hasSuffix("."), !local.contains(".."),
            labels.count >= 2, labels.allSatisfy({ Self.isDomainLabel($0) }),
            let top = labels.last, top.utf8.count >= 2, !top.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
        else {
            throw .invalidField(field: "email", reason: "is not a valid email address")
        }
        return lowered
    }

    /// The full name trimmed; at most 100 characters (seed 001's column).
    public func normalizedFullName(_ fullName: String) throws(IdentityError) -> String {
        let trimmed = fullName.trimmingCharacters(in: " \t\r\n")
        guard trimmed.count <= 100 else { throw .invalidField(field: "full_name", reason: "must be at most 100 characters") }
        return trimmed
    }

    /// The password policy; the error says what is missing, never the password. Besides the
    /// composition rules (seed 001), a password may not be a common one, nor contain the
    /// account's username or the name part of its email (ASVS 6.2.4, 6.2.11).
    /// - Parameters:
    ///   - field: the name the client knows the password by.
    ///   - username: the account's username, when known.
    ///   - email: the account's email, when known.
    public func checkPassword(_ password: String, field: String = "password", username: String? = nil, email: String? = nil)
        throws(IdentityError)
    {
        try self.checkComposition(password, field: field)
        guard !self.denylist.contains(password) else {
            throw .invalidField(field: field, reason: "is too common; choose another")
        }
        let lowered = password.lowercased()
        let emailName = email.map { String($0.lowercased().prefix { $0 != "@" }) }
        for name in [username?.lowercased(), emailName].compactMap({ $0 }) where name.count >= 3 && lowered.contains(name) {
            throw .invalidField(field: field, reason: "must not contain the username or the email's name")
        }
    }

    /// Length and character classes.
    func checkComposition(_ password: String, field: String) throws(IdentityError) {
        let length = password.count
        guard length >= self.passwordMinimumLength else {
            throw .invalidField(field: field, reason: "must be at least \(self.passwordMinimumLength) characters")
        }
        guard length <= self.passwordMaximumLength else {
            throw .invalidField(field: field, reason: "must be at most \(self.passwordMaximumLength) characters")
        }
        var upper = false
        var lower = false
        var digit = false
        var special = false
        for character in password {
            if character.isUppercase {
                upper = true
            } else if character.isLowercase {
                lower = true
            } else if character.isNumber {
                digit = true
            } else if !character.isWhitespace {
                special = true
            }
        }
        guard upper else { throw .invalidField(field: field, reason: "must contain an upper-case letter") }
        guard lower else { throw .invalidField(field: field, reason: "must contain a lower-case letter") }
        guard digit else { throw .invalidField(field: field, reason: "must contain a digit") }
        if self.requireSpecialCharacter && !special {
            throw .invalidField(field: field, reason: "must contain a special character")
        }
    }

    /// Only the length, for login: a longer password cannot be right and is not hashed.
    public func checkPasswordLength(_ password: String) throws(IdentityError) {
        guard password.count <= self.passwordMaximumLength else {
            throw .invalidField(field: "password", reason: "must be at most \(self.passwordMaximumLength) characters")
        }
    }

    static func isUsernameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    static func isLocalPartByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x7A) || byte >= 0x80
            || "!#$%&'*+-/=?^_`{|}~.".utf8.contains(byte)
    }

    static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .unassigned, .privateUse, .surrogate: false
        default: true
        }
    }

    static func isDomainLabel(_ label: Substring) -> Bool {
        let bytes = label.utf8
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == UInt8(ascii: "-") || $0 >= 0x80 }
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
