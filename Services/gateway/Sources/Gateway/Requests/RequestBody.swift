import Foundation
import Hummingbird
import NIOCore

/// Reads a route's body into its `Decodable` shape: JSON with Foundation's decoder after the
/// ``StrictJSON`` pre-check, forms with Hummingbird's `URLEncodedFormDecoder`. Any failure is a
/// 422 whose detail names the field (`username: field required`, `scopes: must be a list of
/// strings`), never a crash; a body over the limit is refused while it is read.
///
/// ```swift
/// struct Body: Decodable { var username: Text?; var password: Text? }
/// let body = try await RequestBody.json(Body.self, request, context: context)
/// let username = try Field.required(body.username, "username")
/// ```
enum RequestBody {
    /// A JSON object body (`Content-Type` absent or `application/json`).
    static func json<Body: Decodable>(_ type: Body.Type, _ request: Request, context: GatewayRequestContext) async throws -> Body {
        if let contentType = request.headers[.contentType], !contentType.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/json")
        }
        return try self.json(type, from: try await request.body.collect(upTo: context.maxUploadSize))
    }

    /// A JSON object body already read.
    static func json<Body: Decodable>(_ type: Body.Type, from body: ByteBuffer) throws -> Body {
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
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch let error as DecodingError {
            throw Self.unprocessable(error)
        }
    }

    /// An `application/x-www-form-urlencoded` body already read (a key given twice is refused).
    static func form<Body: Decodable>(_ type: Body.Type, from body: ByteBuffer) throws -> Body {
        do {
            return try URLEncodedFormDecoder().decode(type, from: String(buffer: body))
        } catch let error as DecodingError {
            throw Self.unprocessable(error)
        } catch let error as URLEncodedFormError where error.code == .duplicateKeys {
            throw APIError(.unprocessableContent, "body: duplicate key \"\(error.value.prefix(64))\"")
        } catch {
            throw APIError(.unprocessableContent, "body: malformed form")
        }
    }

    /// A form, or JSON when the `Content-Type` says so (OAuth2's password form, which some
    /// clients send as JSON).
    static func formOrJSON<Body: Decodable>(_ type: Body.Type, _ request: Request, context: GatewayRequestContext) async throws -> Body {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("application/json") { return try await self.json(type, request, context: context) }
        guard contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.isEmpty else {
            throw APIError(.unsupportedMediaType, "Content-Type must be application/x-www-form-urlencoded or application/json")
        }
        return try self.form(type, from: try await request.body.collect(upTo: context.maxUploadSize))
    }

    /// A body that may be absent (`nil` when empty): a JSON object whatever the `Content-Type`
    /// says when it starts with `{` (seed 003's README sends JSON with curl's form type), else a form.
    static func optional<Body: Decodable>(_ type: Body.Type, _ request: Request, context: GatewayRequestContext) async throws -> Body? {
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        let text = body.readableBytesView.drop { [0x20, 0x09, 0x0A, 0x0D].contains($0) }
        guard let first = text.first else { return nil }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if first == UInt8(ascii: "{") || contentType.hasPrefix("application/json") { return try self.json(type, from: body) }
        if contentType.hasPrefix("application/x-www-form-urlencoded") { return try self.form(type, from: body) }
        throw APIError(.unsupportedMediaType, "Content-Type must be application/json or application/x-www-form-urlencoded")
    }

    /// The 422 for a body that does not have the route's shape, naming the field.
    static func unprocessable(_ error: DecodingError) -> APIError {
        func field(_ path: [any CodingKey]) -> String? { path.first?.stringValue }
        switch error {
        case .keyNotFound(let key, let context):
            return APIError(.unprocessableContent, "\(field(context.codingPath) ?? key.stringValue): field required")
        case .valueNotFound(_, let context):
            return APIError(.unprocessableContent, "\(field(context.codingPath) ?? "body"): field required")
        case .typeMismatch(let type, let context):
            guard let name = field(context.codingPath) else { return APIError(.unprocessableContent, "body: a JSON object is required") }
            let expected =
                switch type {
                case is Int.Type: "a whole number"
                case is [String].Type: "a list of strings"
                default: "a string"
                }
            return APIError(.unprocessableContent, "\(name): must be \(expected)")
        case .dataCorrupted(let context):
            guard let name = field(context.codingPath) else { return APIError(.unprocessableContent, "body: not valid JSON") }
            return APIError(.unprocessableContent, "\(name): \(context.debugDescription)")
        @unknown default:
            return APIError(.unprocessableContent, "body: not valid JSON")
        }
    }
}
