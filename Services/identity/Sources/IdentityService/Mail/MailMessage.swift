#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// One message as it leaves: RFC 5322 headers (`Date`, `Message-ID`, an RFC 2047 subject when it
/// is not ASCII) and a `multipart/alternative` body of plain text and, when given, HTML, both
/// quoted-printable, so every line is 7-bit and at most 76 characters whatever the text.
///
/// A header value can carry no line break: a subject or address with one is refused where the
/// message is made, so no value a user typed can add a header.
///
/// ```swift
/// let message = try MailMessage(from: "Auth <no-reply@example.com>", to: "ada@example.com",
///                               subject: "Your code", text: "12345678", html: nil,
///                               date: 1_765_123_456, messageID: "<a1b2@example.com>")
/// let bytes = message.rendered()   // CRLF line ends, ready for DATA or an .eml file
/// ```
public struct MailMessage: Sendable, Hashable {
    public var from: String
    public var to: String
    public var subject: String
    public var text: String
    public var html: String?
    /// Seconds since 1970.
    public var date: Double
    /// `<unique@domain>`.
    public var messageID: String

    public enum Invalid: Error, Sendable, Hashable {
        /// A header value holds a line break or another control character.
        case headerValue(String)
    }

    public init(from: String, to: String, subject: String, text: String, html: String?, date: Double, messageID: String) throws(Invalid) {
        for (name, value) in [("From", from), ("To", to), ("Subject", subject), ("Message-ID", messageID)]
        where value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .headerValue(name)
        }
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.date = date
        self.messageID = messageID
    }

    /// The message with CRLF line ends; `boundary` separates the parts (a fresh random one
    /// unless given, for tests).
    public func rendered(boundary: String? = nil) -> [UInt8] {
        let boundary = boundary ?? "=_auth_" + (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
        var lines = [
            "Date: \(Self.rfc5322Date(self.date))",
            "From: \(self.from)",
            "To: \(self.to)",
            "Message-ID: \(self.messageID)",
            "Subject: \(Self.encodedWords(self.subject))",
            "MIME-Version: 1.0",
        ]
        let textPart = [
            "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", "", Self.quotedPrintable(self.text),
        ]
        if let html = self.html {
            lines += [
                "Content-Type: multipart/alternative; boundary=\"\(boundary)\"", "", "--\(boundary)",
            ]
            lines += textPart
            lines += ["--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable", ""]
            lines.append(Self.quotedPrintable(html))
            lines.append("--\(boundary)--")
        } else {
            lines += textPart
        }
        return Array(lines.joined(separator: "\r\n").utf8) + [13, 10]
    }

    /// `Mon, 07 Dec 2026 17:40:00 +0000`.
    static func rfc5322Date(_ seconds: Double) -> String {
        var time = time_t(seconds.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) +0000"
    }

    /// `text` as it is when it is printable ASCII, else RFC 2047 encoded words (`=?utf-8?B?…?=`),
    /// each at most 75 characters and never splitting a character.
    static func encodedWords(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 >= 0x7F || $0 < 0x20 }) || text.contains("=?") else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        // 45 bytes make 60 base64 characters: with `=?utf-8?B?` and `?=` a word stays under 75.
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?utf-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: "\r\n ")
    }

    /// Quoted-printable (RFC 2045): lines of at most 76 characters, CRLF line ends, `=` soft
    /// breaks; anything but printable ASCII, and `=`, encoded; a space or tab before a line end
    /// encoded too.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        var lineLength = 0
        // Line ends as the text has them (LF or CRLF) become CRLF. (Bytes, not characters: Swift
        // holds CRLF as one character.)
        let lines = text.utf8.split(separator: 10, omittingEmptySubsequences: false).map { $0.last == 13 ? $0.dropLast() : $0 }
        for (lineIndex, line) in lines.enumerated() {
            if lineIndex > 0 {
                output += [13, 10]
                lineLength = 0
            }
            let bytes = Array(line)
            for (index, byte) in bytes.enumerated() {
                let last = index == bytes.count - 1
                let plain = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !last)
                let encoded: [UInt8] = plain ? [byte] : [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
                // Keep room for a soft break's `=` within 76 characters.
                if lineLength + encoded.count > 75 {
                    output += [UInt8(ascii: "="), 13, 10]
                    lineLength = 0
                }
                output += encoded
                lineLength += encoded.count
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
