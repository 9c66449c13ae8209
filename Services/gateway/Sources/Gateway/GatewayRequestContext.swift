public import Hummingbird
import Logging
public import NIOCore

/// What the gateway knows about one request while handling it.
///
/// Carries the request id (sent on to every backend in the frame header) and lowers the body
/// limit to what our largest form needs, so an oversize body is refused before it is decoded.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id of this request in every log line of every process (`X-Request-ID`).
    public var requestID: String = ""
    /// The peer's socket address. Its text form is made only when asked for: most requests
    /// (`/health/live`, every route without a per-address limit) never need it.
    public let peer: SocketAddress?
    /// The body limit (`MAX_BODY_BYTES`), set by ``RequestLimitsMiddleware``; until then the
    /// default limit.
    public var maxUploadSize: Int = 64 * 1024
    /// What the client's address is found from when there are trusted proxies, set by
    /// ``RequestContextMiddleware``; `nil` means the peer is the client.
    var clientAddressSource: ClientAddressSource?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = source.channel.remoteAddress
    }

    /// The peer's address as the socket reports it.
    public var remoteAddress: String? { self.peer?.ipAddress }

    /// The client's address (``ClientAddress``): the peer's, or, behind a trusted proxy, the
    /// nearest `X-Forwarded-For` hop that is not one.
    public var clientAddress: String {
        guard let source = self.clientAddressSource else { return self.remoteAddress ?? "unknown" }
        return source.resolver.resolve(peer: self.remoteAddress, forwardedFor: source.forwardedFor)
    }
}

/// The trusted proxies and the request's `X-Forwarded-For`, kept until the address is asked for.
struct ClientAddressSource: Sendable {
    let resolver: ClientAddress
    let forwardedFor: String?
}
