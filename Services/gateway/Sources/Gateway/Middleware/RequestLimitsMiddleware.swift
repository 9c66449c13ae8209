public import Hummingbird
import HTTPTypes

/// Limits enforced before any work: a body announced larger than `MAX_BODY_BYTES` gets 413
/// without a byte of it being read, a chunked body is cut at the same limit while read (the
/// context's `maxUploadSize`, which routes collect up to, is set here), and headers larger than
/// `MAX_HEADER_BYTES` in all get 431.
public struct RequestLimitsMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let maximumBodyBytes: Int
    let maximumHeaderBytes: Int

    public init(maximumBodyBytes: Int, maximumHeaderBytes: Int) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumHeaderBytes = maximumHeaderBytes
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var headerBytes = 0
        for field in request.headers {
            headerBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4
        }
        guard headerBytes <= self.maximumHeaderBytes else {
            return APIError(.requestHeaderFieldsTooLarge, "Request headers too large").response()
        }
        if let length = request.headers[.contentLength] {
            guard let bytes = Int(length), bytes >= 0 else {
                return APIError(.badRequest, "Invalid Content-Length").response()
            }
            guard bytes <= self.maximumBodyBytes else {
                var response = APIError(.contentTooLarge, "Request body too large").response()
                // The rest of the body is not read: the connection cannot be reused.
                response.headers[.connection] = "close"
                return response
            }
        }
        var context = context
        context.maxUploadSize = self.maximumBodyBytes
        return try await next(request, context)
    }
}
