public import Hummingbird
import Logging

/// Renders every error in the seed's `{"detail": …}` shape, before any route runs.
///
/// Framework errors (404, 413 from the body limit, a bad request) are re-rendered in our shape;
/// a 404 on a path that exists for another method becomes 405 with `Allow`; anything unknown is
/// logged and answered with a generic 500 (a bug: nothing a client sends should get here).
public struct DetailErrorMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let routes: RouteTable

    public init(routes: RouteTable) {
        self.routes = routes
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return error.response()
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = self.routes.methods(for: request.uri.path), !allowed.isEmpty {
                return APIError.methodNotAllowed(allowed: allowed).response()
            }
            return APIError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers).response()
        } catch let error as any HTTPResponseError {
            return APIError(error.status, error.status.reasonPhrase).response()
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return APIError(.internalServerError, "Internal Server Error").response()
        }
    }
}
