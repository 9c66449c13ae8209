import Foundation
import Hummingbird
import NIOCore

/// The fields of a JSON or form body, as strings: the shape every auth route takes.
///
/// A JSON body must be an object whose values for the fields we read are strings (or null for
/// optional ones); anything else is a 422, never a crash.
struct RequestFields: Sendable {
    private var values: [String: String]
    private var nulls: Set<String>
    /// Fields a route reads as lists of strings or as whole numbers (see `json(_:context:typed:)`).
    private var lists: [String: [String]] = [:]
    private var integers: [String: Int] = [:]

    init(values: [String: String], nulls: Set<String> = []) {
        self.values = values
        self.nulls = nulls
    }

    /// A list of strings: a JSON array, or one space-separated string (OAuth2's `scope` form).
    func stringList(_ name: String) -> [String]? {
        if let list = self.lists[name] { return list }
        return self.values[name].map { $0.split(separator: " ").map(String.init) }
    }

    /// A whole number: a JSON integer, or a string of digits.
    func integer(_ name: String) throws -> Int? {
        if let value = self.integers[name] { return value }
        guard let text = self.values[name] else { return nil }
        guard let value = Int(text) else { throw APIError(.unprocessableContent, "\(name): must be a whole number") }
        return value
    }

    /// A required non-empty string.
    func require(_ name: String) throws -> String {
        guard let value = self.values[name], !value.isEmpty else {
            throw APIError(.unprocessableContent, "\(name): field required")
        }
        return value
    }

    /// An optional string; `nil` when absent or null.
    func optional(_ name: String) -> String? { self.values[name] }

    /// What a field of a JSON body may be besides a string or null.
    enum FieldType: Sendable {
        case stringList
        case integer
    }

    /// Reads a JSON object body. Its fields must be strings or null, except those in `typed`,
    /// which may also be what `typed` says.
    static func json(_ request: Request, context: GatewayRequestContext, typed: [String: FieldType] = [:]) async throws -> RequestFields {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        return try self.json(body, typed: typed)
    }

    /// Parses a JSON object body already read (see ``json(_:context:typed:)``).
    static func json(_ body: ByteBuffer, typed: [String: FieldType] = [:]) throws -> RequestFields {
        guard body.readableBytes > 0 else { throw APIError(.unprocessableContent, "body: a JSON object is required") }
        do {
            try StrictJSON.check(body.readableBytesView)
        } catch .invalidUTF8 {
            throw APIError(.unprocessableContent, "body: not valid UTF-8")
        } catch .tooDeep {
            throw APIError(.unprocessableContent, "body: nested too deeply")
        } catch .duplicateKey(let key) {
            throw APIError(.unprocessableContent, "body: duplicate key \"\(key.prefix(64))\"")
        } catch {
            throw APIError(.unprocessableContent, "body: not valid JSON")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [])
        } catch {
            throw APIError(.unprocessableContent, "body: not valid JSON")
        }
        guard let dictionary = object as? [String: Any] else {
            throw APIError(.unprocessableContent, "body: a JSON object is required")
        }
        var fields = RequestFields(values: [:])
        for (key, value) in dictionary {
            switch value {
            case let text as String:
                guard !text.utf8.contains(0) else { throw APIError(.unprocessableContent, "\(key): must not contain NUL") }
                fields.values[key] = text
            case is NSNull:
                fields.nulls.insert(key)
            case let list as [Any] where typed[key] == .stringList:
                guard list.count <= 64, let strings = list as? [String], strings.allSatisfy({ !$0.utf8.contains(0) }) else {
                    throw APIError(.unprocessableContent, "\(key): must be a list of strings")
                }
                fields.lists[key] = strings
            case let number as NSNumber where typed[key] == .integer:
                // JSONSerialization reads true as a number too; only a real integer passes.
                guard String(cString: number.objCType) != "c", let integer = Int(exactly: number.doubleValue) else {
                    throw APIError(.unprocessableContent, "\(key): must be a whole number")
                }
                fields.integers[key] = integer
            default:
                // Numbers, booleans, arrays and objects are not strings: refuse rather than coerce.
                throw APIError(.unprocessableContent, "\(key): must be a string")
            }
        }
        return fields
    }

    /// Reads an `application/x-www-form-urlencoded` body.
    static func form(_ request: Request, context: GatewayRequestContext) async throws -> RequestFields {
        try self.form(try await request.body.collect(upTo: context.maxUploadSize))
    }

    static func form(_ body: ByteBuffer) throws -> RequestFields {
        var values: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = FormDecoding.decode(parts[0]) else { throw APIError(.unprocessableContent, "body: malformed form") }
            let value = parts.count > 1 ? FormDecoding.decode(parts[1]) : ""
            guard let value, !value.utf8.contains(0) else { throw APIError(.unprocessableContent, "\(name): malformed value") }
            values[name] = value
        }
        return RequestFields(values: values)
    }

    /// A body that may be absent (`nil` when empty): a JSON object, whatever the `Content-Type`
    /// says when it starts with `{` (seed 003's README sends JSON with curl's form type), else a form.
    static func optionalBody(_ request: Request, context: GatewayRequestContext) async throws -> RequestFields? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let text = body.readableBytesView.drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let first = text.first else { return nil }
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if first == UInt8(ascii: "{") || type.hasPrefix("application/json") { return try self.json(body) }
        if type.hasPrefix("application/x-www-form-urlencoded") { return try self.form(body) }
        throw APIError(.unsupportedMediaType, "Content-Type must be application/json or application/x-www-form-urlencoded")
    }

    /// Form or JSON, by `Content-Type`.
    static func formOrJSON(_ request: Request, context: GatewayRequestContext) async throws -> RequestFields {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        if type.hasPrefix("application/json") { return try await self.json(request, context: context) }
        if type.hasPrefix("application/x-www-form-urlencoded") || type.isEmpty { return try await self.form(request, context: context) }
        throw APIError(.unsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json")
    }
}

/// Percent-decoding of form values (`+` is a space).
enum FormDecoding {
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Self.hexValue), let low = iterator.next().flatMap(Self.hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
