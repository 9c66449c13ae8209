/// Where a page of a user's sessions ended: the last session's start and id, the order the list
/// is sorted by (newest first, ties by id), written as opaque URL-safe text for the next request.
struct SessionCursor: Sendable, Hashable {
    /// Seconds since 1970, exactly as the session's record holds it.
    var createdAt: Double
    var id: String

    /// The longest cursor text accepted (a start time and a 22-character id take about 50).
    static let maximumTextLength = 128

    init(_ session: SessionRecord) {
        self.createdAt = session.createdAt
        self.id = session.id
    }

    /// Reads a cursor this type wrote; anything else → ``TokenError/invalidArgument``.
    init(parsing text: String) throws(TokenError) {
        guard text.utf8.count <= Self.maximumTextLength, let bytes = Base64URL.decode(text[...]),
            let space = bytes.firstIndex(of: UInt8(ascii: " ")),
            let createdAt = Double(String(decoding: bytes[..<space], as: UTF8.self)), createdAt.isFinite,
            RefreshToken.isFamilyID(String(decoding: bytes[(space + 1)...], as: UTF8.self)[...])
        else { throw TokenError.invalidArgument }
        self.createdAt = createdAt
        self.id = String(decoding: bytes[(space + 1)...], as: UTF8.self)
    }

    /// The text a client sends back (`next_cursor`).
    var text: String { Base64URL.encode(Array("\(self.createdAt) \(self.id)".utf8)) }

    /// Whether `session` comes after this cursor in the list's order.
    func precedes(_ session: SessionRecord) -> Bool {
        (session.createdAt, session.id) < (self.createdAt, self.id)
    }
}
