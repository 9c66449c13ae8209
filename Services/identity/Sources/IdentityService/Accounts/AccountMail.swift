import Metrics
import ServiceRuntime

/// What the account's mail needs, put together: the challenge store and the outbox (both seal
/// what they hold), the per-address limits, the templates and where links point.
///
/// ``issue(_:to:for:)`` makes a challenge and queues the message that carries it in one
/// statement; ``notify(_:to:for:)`` queues a notice. Delivery is the courier's.
public struct AccountMail: Sendable {
    /// How long a code lives (ten minutes) and how many guesses it allows (five).
    public static let codeLifetimeSeconds = 600
    public static let codeAttempts = 5

    /// How long a link lives: 30 minutes for a reset, a day for a verification.
    public static func tokenLifetimeSeconds(_ purpose: AccountChallenge.Purpose) -> Int {
        switch purpose {
        case .resetPassword: 1800
        case .verifyEmail: 86400
        }
    }

    /// `mail_queued_total{letter}`: messages written to the outbox, by letter (a fixed set).
    static let queuedCounters = Dictionary(
        uniqueKeysWithValues: MailTemplates.Letter.allCases.map { ($0, Counter(label: "mail_queued_total", dimensions: [("letter", $0.rawValue)])) }
    )

    let challenges: any ChallengeStore
    let outbox: any MailOutbox
    let limits: any MailSendLimits
    let templates: MailTemplates
    let settings: MailSettings
    /// Keys the challenges' digests.
    let challengeKey: [UInt8]
    /// Keys the per-address counts' digests.
    let targetKey: [UInt8]
    let now: @Sendable () -> Double

    /// `secret` is `API_KEY_SECRET`: each key is its HMAC with a label of its own.
    public init(
        challenges: any ChallengeStore,
        outbox: any MailOutbox,
        limits: any MailSendLimits,
        templates: MailTemplates,
        settings: MailSettings,
        secret: String,
        now: @escaping @Sendable () -> Double = IdentityOperations.wallClock
    ) {
        self.challenges = challenges
        self.outbox = outbox
        self.limits = limits
        self.templates = templates
        self.settings = settings
        self.challengeKey = Sodium.hmacSHA256(key: Array(secret.utf8), message: Array("account challenge digest".utf8))
        self.targetKey = Sodium.hmacSHA256(key: Array(secret.utf8), message: Array("mail send limit digest".utf8))
        self.now = now
    }

    /// Replaces `user`'s challenge for `purpose` with a new one sent to `email`.
    public func issue(_ purpose: AccountChallenge.Purpose, to email: String, for user: UserRecord) async throws {
        let challenge = AccountChallenge.make(purpose)
        let letter: MailTemplates.Letter = purpose == .verifyEmail ? .verifyEmail : .resetPassword
        let page = purpose == .verifyEmail ? "/account/verify" : "/account/reset-password"
        let lifetime = Self.tokenLifetimeSeconds(purpose)
        let values = [
            "username": user.username,
            "code": challenge.code,
            "link": "\(self.settings.publicURL)\(page)?token=\(challenge.token)",
            "code_minutes": String(Self.codeLifetimeSeconds / 60),
            "link_lifetime": lifetime >= 7200 ? "\(lifetime / 3600) hours" : "\(lifetime / 60) minutes",
        ]
        try await self.challenges.issue(
            userID: user.id,
            email: email,
            purpose: purpose,
            codeDigest: AccountChallenge.codeDigest(challenge.code, userID: user.id, purpose: purpose, key: self.challengeKey),
            tokenDigest: AccountChallenge.tokenDigest(challenge.token, purpose: purpose, key: self.challengeKey),
            codeLifetimeSeconds: Self.codeLifetimeSeconds,
            tokenLifetimeSeconds: lifetime,
            mail: try self.queued(letter, values, to: email)
        )
        Self.queuedCounters[letter]?.increment()
    }

    /// Queues a notice to `email` about `user`'s account.
    public func notify(_ letter: MailTemplates.Letter, to email: String, for user: UserRecord) async throws {
        let mail = try self.queued(letter, ["username": user.username], to: email)
        try await self.outbox.enqueue(purpose: mail.purpose, envelopeFrom: mail.envelopeFrom, recipient: mail.recipient, message: mail.message)
        Self.queuedCounters[letter]?.increment()
    }

    /// Whether another message of `purpose` (a challenge's or a letter's) may go to `email` now
    /// (and counts it). Each kind has its own limits: asking for challenges to an address cannot
    /// use up what the notices of the account's own changes need (a thief who could would change
    /// the address and the password unannounced).
    public func admitSend(to email: String, purpose: String) async throws -> Bool {
        let digest = Hex.encode(Sodium.hmacSHA256(key: self.targetKey, message: Array(email.lowercased().utf8)))
        return try await self.limits.admit(targetDigest: digest, purpose: purpose)
    }

    func codeDigest(_ code: String, userID: Int64, purpose: AccountChallenge.Purpose) -> String {
        AccountChallenge.codeDigest(code, userID: userID, purpose: purpose, key: self.challengeKey)
    }

    func tokenDigest(_ token: String, purpose: AccountChallenge.Purpose) -> String {
        AccountChallenge.tokenDigest(token, purpose: purpose, key: self.challengeKey)
    }

    func queued(_ letter: MailTemplates.Letter, _ values: [String: String], to email: String) throws -> QueuedMail {
        let rendered = self.templates.render(letter, values)
        let message = try MailMessage(
            from: self.settings.from,
            to: email,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            date: self.now(),
            messageID: "<\(Hex.encode(Sodium.randomBytes(16)))@\(self.settings.messageIDDomain)>"
        )
        return QueuedMail(
            purpose: letter.rawValue,
            envelopeFrom: self.settings.envelopeFrom,
            recipient: email,
            message: String(decoding: message.rendered(), as: UTF8.self)
        )
    }
}
