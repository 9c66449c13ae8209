/// How a rendered message leaves: an SMTP server (``SMTPClient``) or a directory of `.eml` files
/// (``MailDirectory``), as `MAIL_URL` says.
public protocol MailTransport: Sendable {
    /// Delivers `message` (RFC 5322, CRLF line ends) from `from` to `to`.
    func deliver(_ message: [UInt8], from: String, to: String) async throws(MailDeliveryError)
}

/// Why a message was not delivered, and whether to try again.
public enum MailDeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Worth trying again later: a 4xx reply, a refused, dropped or silent connection, a full disk.
    case temporary(String)
    /// Not worth trying again: a 5xx reply, no STARTTLS, no way to log in, a bad address.
    case permanent(String)

    public var description: String {
        switch self {
        case .temporary(let reason): "temporary: \(reason)"
        case .permanent(let reason): "permanent: \(reason)"
        }
    }
}
