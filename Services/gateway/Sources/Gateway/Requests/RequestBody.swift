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

    init(values: [String: String], nulls: Set<String> = []) {
        self.values = values
        self.nulls = nulls
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

    /// Reads a JSON object body.
    static func json(_ request: Request, context: GatewayRequestContext) async throws -> RequestFields {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json")
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
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
        var values: [String: String] = [:]
        var nulls: Set<String> = []
        for (key, value) in dictionary {
            switch value {
            case let text as String:
                guard !text.utf8.contains(0) else { throw APIError(.unprocessableContent, "\(key): must not contain NUL") }
                values[key] = text
            case is NSNull:
                nulls.insert(key)
            default:
                // Numbers, booleans, arrays and objects are not strings: refuse rather than coerce.
                throw APIError(.unprocessableContent, "\(key): must be a string")
            }
        }
        return RequestFields(values: values, nulls: nulls)
    }

    /// Reads an `application/x-www-form-urlencoded` body.
    static func form(_ request: Request, context: GatewayRequestContext) async throws -> RequestFields {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
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
