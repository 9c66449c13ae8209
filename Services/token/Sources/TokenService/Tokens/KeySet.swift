/// What a ``KeyRing`` holds at one moment: the key that signs, and every key whose tokens still
/// verify (the signing key, keys retired recently, and keys published ahead of their activation).
public struct KeySet: Sendable {
    public var algorithm: SigningAlgorithm
    public var signing: SigningKey
    public var verifying: [SigningKey]
    /// When each key's tokens stop verifying, by key id (none: until a newer key replaces it).
    public var verifyUntil: [String: Double]

    public init(signing: SigningKey, verifying: [SigningKey] = [], verifyUntil: [String: Double] = [:]) {
        self.algorithm = signing.algorithm
        self.signing = signing
        self.verifying = verifying.contains { $0.id == signing.id } ? verifying : [signing] + verifying
        self.verifyUntil = verifyUntil
    }

    /// The set without the keys whose end has passed at `now`, or `nil` when none has: the ends
    /// as `schedule` (the key directory's manifest, when it could be read) says them, where it
    /// names the key, else as they were when the set was loaded; a key the schedule no longer
    /// lists has ended. The signing key stays (nothing else could sign).
    public func droppingEnded(at now: Double, schedule: [KeyDirectory.Entry]?) -> KeySet? {
        var ends = self.verifyUntil
        if let schedule {
            let listed = Dictionary(schedule.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
            for key in self.verifying {
                if let entry = listed[key.id] { ends[key.id] = entry.verifyUntil } else { ends[key.id] = -.infinity }
            }
        }
        let ended = Set(self.verifying.map(\.id).filter { $0 != self.signing.id && (ends[$0].map { now >= $0 } ?? false) })
        guard !ended.isEmpty else { return nil }
        return KeySet(
            signing: self.signing,
            verifying: self.verifying.filter { !ended.contains($0.id) },
            verifyUntil: ends.filter { !ended.contains($0.key) }
        )
    }

    /// A set of one key.
    public init(_ key: SigningKey) {
        self.init(signing: key)
    }

    /// The ids, to see whether a reload changed anything.
    var fingerprint: [String] { [self.signing.id] + self.verifying.map(\.id).sorted() }

    /// The JWKS (RFC 7517) of the verifying keys: empty for HS256, whose key is secret.
    public var publicKeys: [PublicJWK] { self.verifying.compactMap(\.publicJWK) }
}

/// A JWK Set (RFC 7517 §5).
struct JWKSDocument: Encodable {
    var keys: [PublicJWK]
}
