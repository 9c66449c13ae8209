public import Hummingbird
public import Logging
import NIOCore
import Synchronization

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
    /// The body limit (`MAX_BODY_BYTES`), set from configuration by ``GatewayLimits``.
    public var maxUploadSize: Int { GatewayLimits.maximumBodyBytes.load(ordering: .relaxed) }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// Limits read once from configuration before the server starts.
///
/// Hummingbird builds each context from its channel alone, so the configured body limit reaches
/// it through this process-wide value, set by ``buildApplication(configuration:identity:token:logger:)``.
public enum GatewayLimits {
    static let maximumBodyBytes = Atomic<Int>(64 * 1024)
}
