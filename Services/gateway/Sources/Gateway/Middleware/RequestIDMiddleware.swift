import ServiceRuntime
import HTTPTypes
public import Hummingbird
import Logging

/// Gives each request an id: the client's `X-Request-ID` when it is sane, a new one otherwise.
/// The id goes back in the response, into every log line, and on to the backends.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let offered = request.headers[.requestID]
        let id = offered.flatMap { Self.isSane($0) ? $0 : nil } ?? Self.make()
        context.requestID = id
        context.logger[metadataKey: "request_id"] = "\(id)"
        var response = try await next(request, context)
        response.headers[.requestID] = id
        return response
    }

    /// 1 to 64 characters of `[A-Za-z0-9._-]`: safe in a header, a log line and a frame.
    static func isSane(_ id: String) -> Bool {
        let bytes = id.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            }
    }

    /// 32 hex digits (``CorrelationID``).
    static func make() -> String {
        CorrelationID.hex(words: 2)
    }
}

extension HTTPField.Name {
    static let requestID = HTTPField.Name("X-Request-ID")!
}
