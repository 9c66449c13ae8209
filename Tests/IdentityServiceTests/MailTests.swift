import Foundation
import ServiceConfiguration
import Testing

@testable import IdentityService

@Suite("Mail endpoints and messages")
struct MailTests {
    @Test func smtpURLsParseWithTheirDefaultsAndCredentials() throws {
        #expect(
            try MailEndpoint(url: "smtp://mail.example.com")
                == .smtp(.init(host: "mail.example.com", port: 587, security: .startTLS, credentials: nil))
        )
        #expect(
            try MailEndpoint(url: "smtps://courier:p%40ss%3Aword@Mail.Example.com:2465/")
                == .smtp(
                    .init(host: "mail.example.com", port: 2465, security: .implicitTLS, credentials: .init(user: "courier", password: "p@ss:word"))
                )
        )
        #expect(
            try MailEndpoint(url: "smtp://127.0.0.1:2525?tls=none") == .smtp(.init(host: "127.0.0.1", port: 2525, security: .none, credentials: nil))
        )
        #expect(try MailEndpoint(url: "smtp://[::1]:2525?tls=none") == .smtp(.init(host: "::1", port: 2525, security: .none, credentials: nil)))
        #expect(try MailEndpoint(url: "file:///var/spool/auth-mail") == .file(directory: "/var/spool/auth-mail"))
    }

    @Test(arguments: [
        "mail.example.com", "http://mail.example.com", "smtp://", "smtp://mail.example.com:0", "smtp://mail.example.com:70000",
        "smtp://mail.example.com?tls=none", "smtps://127.0.0.1?tls=none", "smtp://127.0.0.1?tls=off", "smtp://user:%zz@host",
        "smtp://host/path", "file://relative/dir", "file:///", "smtp://ho st",
    ])
    func wrongURLsAreRefusedNamingTheVariable(url: String) {
        #expect {
            _ = try MailEndpoint(url: url)
        } throws: { error in
            (error as? ConfigurationError)?.variable == "MAIL_URL"
        }
    }

    @Test func aRefusalNeverRepeatsThePassword() {
        do {
            _ = try MailEndpoint(url: "smtp://courier:TopSecret42@mail.example.com?tls=none")
            Issue.record("accepted")
        } catch {
            #expect(!error.reason.contains("TopSecret42"))
        }
        let credentials = MailEndpoint.Credentials(user: "courier", password: "TopSecret42")
        #expect(!"\(credentials)".contains("TopSecret42"))
    }

    @Test func aMessageRendersAsRFC5322WithBothParts() throws {
        let message = try MailMessage(
            from: "Auth <no-reply@example.com>",
            to: "ada@example.com",
            subject: "Réinitialisez votre mot de passe",
            text: "Your code: 12345678\n.leading dot\nlong " + String(repeating: "x", count: 100) + "\nend with space ",
            html: "<p>Café</p>",
            date: 1_765_123_456,
            messageID: "<a1b2@example.com>"
        )
        let text = String(decoding: message.rendered(boundary: "BOUNDARY"), as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.contains("Date: Sun, 07 Dec 2025 16:04:16 +0000"))
        #expect(lines.contains("Message-ID: <a1b2@example.com>"))
        #expect(lines.contains { $0.hasPrefix("Subject: =?utf-8?B?") && $0.hasSuffix("?=") })
        #expect(lines.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\""))
        #expect(lines.contains("--BOUNDARY--"))
        #expect(lines.contains("<p>Caf=C3=A9</p>"))
        #expect(lines.contains("end with space=20"), "a space before a line end is encoded")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 }, "every line within 76 characters")
        #expect(text.utf8.allSatisfy { $0 < 0x80 }, "7-bit throughout")
        #expect(!text.contains("\n\n") && !text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF only")
    }

    @Test func aHeaderValueCannotAddAHeader() {
        #expect(throws: MailMessage.Invalid.headerValue("Subject")) {
            _ = try MailMessage(
                from: "a@example.com",
                to: "b@example.com",
                subject: "Hi\r\nBcc: everyone@example.com",
                text: "",
                html: nil,
                date: 0,
                messageID: "<x@example.com>"
            )
        }
        #expect(throws: MailMessage.Invalid.headerValue("To")) {
            _ = try MailMessage(from: "a@example.com", to: "b@example.com\n", subject: "", text: "", html: nil, date: 0, messageID: "<x@e>")
        }
    }

    @Test func asciiSubjectsStayAsTheyAreAndLongOnesFoldIntoWords() {
        #expect(MailMessage.encodedWords("Your code") == "Your code")
        let folded = MailMessage.encodedWords(String(repeating: "é", count: 60))
        let words = folded.components(separatedBy: "\r\n ")
        #expect(words.count == 3)
        #expect(words.allSatisfy { $0.utf8.count <= 75 && $0.hasPrefix("=?utf-8?B?") })
    }
}
