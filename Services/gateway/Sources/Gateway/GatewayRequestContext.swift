public import Hummingbird
import Logging
import NIOCore

/// What the gateway knows about one request while handling it.
///
/// Carries the request id (sent on to every backend in the frame header) and lowers the body
/// limit to what our largest form needs, so an oversize body is refused before it is decoded.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The id of this request in every log line of every process (`X-Request-ID`).
    public var requestID: String = ""
    /// The peer's address as the socket reports it.
    public let remoteAddress: String?
    /// The body limit (`MAX_BODY_BYTES`), set by ``RequestLimitsMiddleware``; until then the
    /// default limit.
    public var maxUploadSize: Int = 64 * 1024
    /// The client's address (``ClientAddress``), set by ``ClientAddressMiddleware``; until then
    /// the socket's.
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
        self.clientAddress = self.remoteAddress ?? "unknown"
    }
}
