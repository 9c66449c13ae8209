import HummingbirdCore
import HummingbirdHTTP2
import NIOCore

/// How the gateway speaks HTTP: with `TLS_CERT_FILE`/`TLS_KEY_FILE`, HTTPS where ALPN picks
/// HTTP/2 or HTTP/1.1; without, clear text where HTTP/1.1 and HTTP/2 with prior knowledge share
/// the port (``CleartextHTTPChannel``). Both use the same limits.
enum GatewayServer {
    static func builder(_ configuration: GatewayConfiguration) -> HTTPServerBuilder {
        let idle = TimeAmount.seconds(Int64(configuration.idleTimeoutSeconds))
        let http1 = HTTP1Channel.Configuration(
            idleTimeout: idle,
            // The parser's own ceiling sits above MAX_HEADER_BYTES, which answers 431 first.
            httpDecoderConfiguration: .init(maxHeaderFieldSize: 64 * 1024, maxHeaderListSize: 64 * 1024, maxHeaderFieldCount: 200)
        )
        let http2 = HTTP2ChannelConfiguration(idleTimeout: .seconds(Int64(configuration.idleTimeoutSeconds)), streamConfiguration: http1)
        if let tls = configuration.tls {
            // The certificate and key were loaded and checked with the configuration.
            return HTTPServerBuilder { responder in try HTTP2UpgradeChannel(tlsConfiguration: tls, configuration: http2, responder: responder) }
        }
        return HTTPServerBuilder { responder in CleartextHTTPChannel(responder: responder, configuration: http2, firstBytesTimeout: idle) }
    }
}
