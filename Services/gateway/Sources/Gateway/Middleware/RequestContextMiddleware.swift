public import Hummingbird

/// Fills in what the gateway's configuration says about every request before any route sees
/// it: the body limit the routes collect up to, and the client's address
/// (``ClientAddress``). Hummingbird builds a context from its channel alone; a middleware that
/// passes a changed context on is how configuration reaches it.
public struct RequestContextMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    let maximumBodyBytes: Int
    let clientAddress: ClientAddress

    public init(maximumBodyBytes: Int, trustedProxies: Set<String>) {
        self.maximumBodyBytes = maximumBodyBytes
        self.clientAddress = ClientAddress(trustedProxies: trustedProxies)
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.maxUploadSize = self.maximumBodyBytes
        context.clientAddress = self.clientAddress.resolve(peer: context.remoteAddress, headers: request.headers)
        return try await next(request, context)
    }
}
