import CommonPasswords

/// Passwords refused whatever the composition rules say: the most common ones (ASVS 6.2.4).
///
/// Compared without regard to case, so `Password123` is as refused as `password123`. The list
/// shipped (zxcvbn's 10,000 most common, `Services/identity/Sources/CommonPasswords`, embedded
/// in the executable) may be extended with a larger one from a file (`PASSWORD_DENYLIST_FILE`,
/// one password a line).
public struct PasswordDenylist: Sendable {
    private let passwords: Set<String>

    /// The shipped list, plus `extra` lines (blank ones skipped).
    public init(extra: some Sequence<Substring> = [Substring]()) {
        var passwords = Set(Self.commonPasswords.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) })
        for line in extra {
            let word = String(line).trimmingCharacters(in: "\r\t ").lowercased()
            if !word.isEmpty { passwords.insert(word) }
        }
        self.passwords = passwords
    }

    /// The list shipped with the service, read once, the first time it is used.
    public static let shipped = PasswordDenylist()

    /// The embedded list's bytes.
    static var commonPasswords: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: auth_common_passwords_bytes(), count: auth_common_passwords_length())
    }

    public var count: Int { self.passwords.count }

    public func contains(_ password: String) -> Bool {
        self.passwords.contains(password.lowercased())
    }
}
