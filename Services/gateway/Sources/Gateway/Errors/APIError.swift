import ServiceRuntime
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An error answer in the seed's shape: `{"detail": "…"}` with the right status and headers.
///
/// Every error a route or middleware raises is one of these; no route builds an error body
/// itself. 401s carry `WWW-Authenticate: Bearer` (RFC 6750), 429 and 503 carry `Retry-After`.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var detail: String
    public var headers: HTTPFields
    /// String members the body carries after `detail` (`mfa_token` beside `mfa_required`).
    public var fields: [(name: String, value: String)]

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:], fields: [(name: String, value: String)] = []) {
        self.status = status
        self.detail = detail
        self.headers = headers
        self.fields = fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The response, without needing a request (for middleware that answers by itself).
    public func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json"
        var body = ByteBuffer()
        body.writeString("{\"detail\":")
        body.writeJSONString(self.detail)
        for field in self.fields {
            body.writeString(",")
            body.writeJSONString(field.name)
            body.writeString(":")
            body.writeJSONString(field.value)
        }
        body.writeString("}")
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: body))
    }
}

extension APIError {
    static func methodNotAllowed(allowed: [HTTPRequest.Method]) -> APIError {
        var headers = HTTPFields()
        headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(.methodNotAllowed, "Method Not Allowed", headers: headers)
    }

    static func unavailable(_ detail: String, retryAfterSeconds: Int = 1) -> APIError {
        var headers = HTTPFields()
        headers[.retryAfter] = String(retryAfterSeconds)
        return APIError(.serviceUnavailable, detail, headers: headers)
    }
}
