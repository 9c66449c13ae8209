public import Mustache
public import ServiceConfiguration

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The texts of the account's mail: a subject, a plain-text body and an HTML body for each
/// ``Letter``, as Mustache templates. Each may be replaced by a file in `MAIL_TEMPLATES_DIR`
/// named `<letter>.<part>.mustache` (`reset_password.html.mustache`); the rest keep the built-in
/// text. Every template is parsed at start, so a broken one stops the process there.
///
/// What a template may use: `{{username}}`, `{{code}}`, `{{link}}`, `{{code_minutes}}` and
/// `{{link_lifetime}}` (`30 minutes`, `24 hours`). `{{…}}` escapes for HTML; the plain-text
/// templates use `{{{…}}}`.
public struct MailTemplates: Sendable {
    public enum Letter: String, Sendable, CaseIterable {
        /// A code and a link that confirm the address.
        case verifyEmail = "verify_email"
        /// A code and a link that set a new password.
        case resetPassword = "reset_password"
        /// The password was changed (or reset).
        case passwordChanged = "password_changed"
        /// To the former address: the account's address was changed.
        case emailChanged = "email_changed"
        /// A second factor was turned on.
        case mfaEnabled = "mfa_enabled"
        /// The second factor was turned off (by the user or an administrator).
        case mfaDisabled = "mfa_disabled"
        /// A recovery code was used to sign in or confirm a change.
        case recoveryCodeUsed = "recovery_code_used"
        /// An administrator turned the second factor off.
        case mfaReset = "mfa_reset"
    }

    public enum Part: String, Sendable, CaseIterable {
        case subject, text, html
    }

    /// A rendered letter.
    public struct Rendered: Sendable, Hashable {
        public var subject: String
        public var text: String
        public var html: String
    }

    let templates: [String: MustacheTemplate]

    /// The built-in texts, with those found in `directory` in their place.
    public init(directory: String? = nil, variable: String = "MAIL_TEMPLATES_DIR") throws(ConfigurationError) {
        if let directory {
            // A file meant to replace a text but misnamed would be ignored without a word.
            let known = Set(Letter.allCases.flatMap { letter in Part.allCases.map { "\(letter.rawValue).\($0.rawValue).mustache" } })
            for name in Self.files(in: directory) where name.hasSuffix(".mustache") && !known.contains(name) {
                throw ConfigurationError(variable: variable, reason: "\(name) names no template (\(known.sorted().joined(separator: ", ")))")
            }
        }
        var templates: [String: MustacheTemplate] = [:]
        for letter in Letter.allCases {
            for part in Part.allCases {
                let name = "\(letter.rawValue).\(part.rawValue)"
                var source = Self.builtIn(letter, part)
                if let directory, let text = EnvironmentReader.readFile("\(directory)/\(name).mustache", limit: 1 << 20) {
                    source = text
                }
                do {
                    templates[name] = try MustacheTemplate(string: source)
                } catch {
                    throw ConfigurationError(variable: variable, reason: "\(name).mustache does not parse: \(error)")
                }
            }
        }
        self.templates = templates
    }

    /// The names of the entries of `directory`.
    static func files(in directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            names.append(name)
        }
        return names
    }

    /// `letter` with `values` in place; a subject is cut to one line.
    public func render(_ letter: Letter, _ values: [String: String]) -> Rendered {
        func part(_ part: Part) -> String { self.templates["\(letter.rawValue).\(part.rawValue)"]?.render(values) ?? "" }
        let subject = part(.subject).split(whereSeparator: { $0.isNewline }).first.map(String.init) ?? ""
        return Rendered(subject: subject.trimmingCharacters(in: " \t"), text: part(.text), html: part(.html))
    }

    static func builtIn(_ letter: Letter, _ part: Part) -> String {
        switch (letter, part) {
        case (.verifyEmail, .subject): "Confirm your email address"
        case (.verifyEmail, .text):
            """
            Hello {{{username}}},

            Your confirmation code is {{{code}}} (valid for {{{code_minutes}}} minutes).

            Or open this link to confirm your address (valid for {{{link_lifetime}}}):
            {{{link}}}

            If you did not ask for this, ignore this message.
            """
        case (.verifyEmail, .html):
            Self.html(
                "Confirm your email address",
                """
                <p>Hello {{username}},</p>
                <p>Your confirmation code is <strong style="font-size:1.4em;letter-spacing:.15em">{{code}}</strong> (valid for {{code_minutes}} minutes).</p>
                <p>Or <a href="{{link}}">confirm your address</a> (the link is valid for {{link_lifetime}}).</p>
                <p>If you did not ask for this, ignore this message.</p>
                """
            )
        case (.resetPassword, .subject): "Reset your password"
        case (.resetPassword, .text):
            """
            Hello {{{username}}},

            Someone asked to reset your password. Your code is {{{code}}} (valid for {{{code_minutes}}} minutes).

            Or open this link to choose a new password (valid for {{{link_lifetime}}}):
            {{{link}}}

            If it was not you, ignore this message: your password stays as it is.
            """
        case (.resetPassword, .html):
            Self.html(
                "Reset your password",
                """
                <p>Hello {{username}},</p>
                <p>Someone asked to reset your password. Your code is <strong style="font-size:1.4em;letter-spacing:.15em">{{code}}</strong> (valid for {{code_minutes}} minutes).</p>
                <p>Or <a href="{{link}}">choose a new password</a> (the link is valid for {{link_lifetime}}).</p>
                <p>If it was not you, ignore this message: your password stays as it is.</p>
                """
            )
        case (.passwordChanged, .subject): "Your password was changed"
        case (.passwordChanged, .text):
            """
            Hello {{{username}}},

            The password of your account was just changed, and every session was signed out.

            If you did not do this, reset your password now and contact support.
            """
        case (.passwordChanged, .html):
            Self.html(
                "Your password was changed",
                """
                <p>Hello {{username}},</p>
                <p>The password of your account was just changed, and every session was signed out.</p>
                <p>If you did not do this, reset your password now and contact support.</p>
                """
            )
        case (.emailChanged, .subject): "Your email address was changed"
        case (.emailChanged, .text):
            """
            Hello {{{username}}},

            The email address of your account was just changed; this address will get no more mail about it.

            If you did not do this, contact support.
            """
        case (.emailChanged, .html):
            Self.html(
                "Your email address was changed",
                """
                <p>Hello {{username}},</p>
                <p>The email address of your account was just changed; this address will get no more mail about it.</p>
                <p>If you did not do this, contact support.</p>
                """
            )
        case (.mfaEnabled, .subject): "Two-step sign-in was turned on"
        case (.mfaEnabled, .text):
            """
            Hello {{{username}}},

            Two-step sign-in was just turned on for your account: signing in now takes a code from your authenticator app.

            If you did not do this, reset your password now and contact support.
            """
        case (.mfaEnabled, .html):
            Self.html(
                "Two-step sign-in was turned on",
                """
                <p>Hello {{username}},</p>
                <p>Two-step sign-in was just turned on for your account: signing in now takes a code from your authenticator app.</p>
                <p>If you did not do this, reset your password now and contact support.</p>
                """
            )
        case (.mfaDisabled, .subject): "Two-step sign-in was turned off"
        case (.mfaDisabled, .text):
            """
            Hello {{{username}}},

            Two-step sign-in was just turned off for your account: your password alone signs in again.

            If you did not do this, reset your password now and contact support.
            """
        case (.mfaDisabled, .html):
            Self.html(
                "Two-step sign-in was turned off",
                """
                <p>Hello {{username}},</p>
                <p>Two-step sign-in was just turned off for your account: your password alone signs in again.</p>
                <p>If you did not do this, reset your password now and contact support.</p>
                """
            )
        case (.mfaReset, .subject): "An administrator turned off two-step sign-in"
        case (.mfaReset, .text):
            """
            Hello {{{username}}},

            An administrator turned off two-step sign-in for your account and signed out every session: your password alone signs in until you turn it on again.

            If you did not ask for this, reset your password now and contact support.
            """
        case (.mfaReset, .html):
            Self.html(
                "An administrator turned off two-step sign-in",
                """
                <p>Hello {{username}},</p>
                <p>An administrator turned off two-step sign-in for your account and signed out every session: your password alone signs in until you turn it on again.</p>
                <p>If you did not ask for this, reset your password now and contact support.</p>
                """
            )
        case (.recoveryCodeUsed, .subject): "A recovery code was used"
        case (.recoveryCodeUsed, .text):
            """
            Hello {{{username}}},

            One of your recovery codes was just used on your account; it cannot be used again.

            If you did not do this, reset your password now and contact support.
            """
        case (.recoveryCodeUsed, .html):
            Self.html(
                "A recovery code was used",
                """
                <p>Hello {{username}},</p>
                <p>One of your recovery codes was just used on your account; it cannot be used again.</p>
                <p>If you did not do this, reset your password now and contact support.</p>
                """
            )
        }
    }

    static func html(_ title: String, _ body: String) -> String {
        """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(title)</title></head>
        <body style="font-family:sans-serif;line-height:1.5;max-width:36em">
        \(body)
        </body></html>
        """
    }
}
