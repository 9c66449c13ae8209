public import Hummingbird

/// Sets the client's address (``ClientAddress``, `TRUSTED_PROXIES`) on each request's context
/// before any route sees it. Hummingbird builds a context from its channel alone; a middleware
/// that passes a changed context on is how configuration reaches it.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let clientAddress: ClientAddress

    public init(trustedProxies: Set<String>) {
        self.clientAddress = ClientAddress(trustedProxies: trustedProxies)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.clientAddress = self.clientAddress.resolve(peer: context.remoteAddress, headers: request.headers)
        return try await next(request, context)
    }
}
