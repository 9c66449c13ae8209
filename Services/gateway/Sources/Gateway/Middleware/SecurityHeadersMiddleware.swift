public import Hummingbird
import HTTPTypes

/// Headers every response carries, errors included: no sniffing, no framing, a strict referrer
/// policy and a content security policy for an API that serves no active content (the
/// documentation and account pages set their own, which are kept, as a stricter referrer policy is). Responses under `/api/` and seed 003's router are never
/// cached: they carry tokens or user data.
public struct SecurityHeadersMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    /// Paths starting with one of these answer `Cache-Control: no-store` unless a route said otherwise.
    let uncachedPrefixes: [String]
    /// Served over TLS: browsers are told to use nothing else (`Strict-Transport-Security`).
    let strictTransportSecurity: Bool

    public init(uncachedPrefixes: [String] = ["/api/"], strictTransportSecurity: Bool = false) {
        self.uncachedPrefixes = uncachedPrefixes
        self.strictTransportSecurity = strictTransportSecurity
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.xFrameOptions] = "DENY"
        if response.headers[.referrerPolicy] == nil { response.headers[.referrerPolicy] = "strict-origin-when-cross-origin" }
        if self.strictTransportSecurity { response.headers[.strictTransportSecurity] = "max-age=63072000; includeSubDomains" }
        if response.headers[.contentSecurityPolicy] == nil {
            response.headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
        }
        if response.headers[.cacheControl] == nil, self.uncachedPrefixes.contains(where: request.uri.path.hasPrefix) {
            response.headers[.cacheControl] = "no-store"
        }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
}
