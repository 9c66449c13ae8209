public import Hummingbird
import Logging

/// At debug level, one line per request: its method and path, never its query (the links in the
/// account's mail carry their token there) nor its headers (they hold tokens), then its status.
/// Left out of the chain at any other level, so no request pays for it.
public struct RequestLogMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let metadata: Logger.Metadata = ["http.method": "\(request.method.rawValue)", "http.path": "\(request.uri.path)"]
        context.logger.debug("request", metadata: metadata)
        do {
            let response = try await next(request, context)
            context.logger.debug("answered", metadata: metadata.merging(["http.status": "\(response.status.code)"]) { $1 })
            return response
        } catch {
            context.logger.debug("answered with an error", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            throw error
        }
    }
}
