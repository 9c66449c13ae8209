import HTTPTypes

/// A text field of a request body: a string (a number or a boolean is refused, not coerced)
/// without NUL, which would end it early in a C library.
struct Text: Decodable, Sendable, Hashable {
    let value: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let value = try container.decode(String.self)
        guard !value.utf8.contains(0) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must not contain NUL")
        }
        self.value = value
    }
}

/// A whole-number field: a JSON integer, or a string of digits (as pydantic's lax mode takes it).
struct WholeNumber: Decodable, Sendable, Hashable {
    let value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
        } else if let text = try? container.decode(String.self), let value = Int(text) {
            self.value = value
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be a whole number")
        }
    }
}

/// A list of words: a JSON array of strings, or one space-separated string (OAuth2's `scope`).
struct Words: Decodable, Sendable, Hashable {
    /// The longest list taken.
    static let maximumCount = 64

    let values: [String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.values = text.split(separator: " ").map(String.init)
        } else if let list = try? container.decode([String].self), list.count <= Self.maximumCount {
            self.values = list
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be a list of strings")
        }
        guard self.values.allSatisfy({ !$0.utf8.contains(0) }) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be a list of strings")
        }
    }
}

/// Required fields, checked after decoding so that absent, null and empty answer alike.
enum Field {
    /// The field's text, or a 422 `name: field required`.
    static func required(_ text: Text?, _ name: String) throws -> String {
        guard let value = text?.value, !value.isEmpty else { throw APIError(.unprocessableContent, "\(name): field required") }
        return value
    }
}

/// A yes-or-no field: a JSON boolean, or `true`/`false`/`1`/`0` as text (a form, a query,
/// pydantic's lax mode).
struct Flag: Decodable, Sendable, Hashable {
    let value: Bool

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self.value = value
        } else if let text = try? container.decode(String.self), let value = Self.parse(text) {
            self.value = value
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be true or false")
        }
    }

    static func parse(_ text: some StringProtocol) -> Bool? {
        switch text.lowercased() {
        case "true", "1": true
        case "false", "0": false
        default: nil
        }
    }
}
