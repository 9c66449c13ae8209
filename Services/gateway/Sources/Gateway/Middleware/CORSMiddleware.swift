public import Hummingbird
import HTTPTypes

/// CORS for the origins of `CORS_ORIGINS`, with credentials (the refresh cookie).
///
/// A preflight from a listed origin is answered here with 204 and what it may send; from an
/// unlisted origin with 400, as Starlette's middleware answers it, and no CORS headers. Actual
/// requests from a listed origin get the allow headers; from any other origin, none. `*` is
/// refused at start (credentials must never be allowed to every origin).
public struct CORSMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let origins: Set<String>
    static let allowedMethods = "GET, POST, PUT, DELETE, OPTIONS"
    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID, X-API-Key, X-CSRF-Token"
    static let exposedHeaders = "X-Request-ID, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset"

    public init(origins: [String]) {
        self.origins = Set(origins)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let origin = request.headers[.origin]
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil, let origin {
            guard self.origins.contains(origin) else {
                return APIError(.badRequest, "Disallowed CORS origin").response()
            }
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowCredentials] = "true"
            headers[.accessControlAllowMethods] = Self.allowedMethods
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if let origin, self.origins.contains(origin) {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlAllowCredentials] = "true"
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
            response.headers[values: .vary].append("Origin")
        }
        return response
    }
}
