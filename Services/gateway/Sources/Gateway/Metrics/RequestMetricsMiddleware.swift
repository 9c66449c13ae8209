public import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// Records every answer: requests by route, method and status, their duration, the requests in
/// flight by method, and the 5xx answers; and refuses a method no route can have with 501.
///
/// The labels come from fixed sets only: a route template (or `NotFound`), one of the methods in
/// ``KnownMethod`` and a status code. A client may send any token as an HTTP/2 method, and a
/// label per token would add instruments that are never freed; such a request is answered 501
/// Not Implemented before anything else runs and is counted under the method `other`.
///
/// Instruments are made once per route, method and status and kept, so an ordinary request costs
/// two clock reads, one lookup under a lock and four atomic updates; nothing is allocated for it.
/// The same metric names as Hummingbird's `MetricsMiddleware` (`hb_requests`,
/// `http_server_request_duration`, `http_server_active_requests`, `hb_request_errors`).
public struct RequestMetricsMiddleware: RouterMiddleware {
    public typealias Context = GatewayRequestContext

    private let instruments = RequestInstruments()

    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = NIODeadline.now()
        guard let method = KnownMethod(request.method) else {
            let response = APIError(.notImplemented, "Not Implemented").response()
            self.instruments.record(route: nil, method: .other, status: response.status, since: start)
            return response
        }
        let active = self.instruments.active[method.rawValue]
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            self.instruments.record(route: context.endpointPath, method: method, status: response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            self.instruments.record(route: context.endpointPath, method: method, status: status, since: start)
            throw error
        }
    }
}

/// The methods recorded by name: those the routes use, plus HEAD and OPTIONS; `other` counts
/// the rest, which are refused.
enum KnownMethod: Int, CaseIterable, Sendable {
    case get, head, post, put, patch, delete, options, other

    init?(_ method: HTTPRequest.Method) {
        switch method {
        case .get: self = .get
        case .head: self = .head
        case .post: self = .post
        case .put: self = .put
        case .patch: self = .patch
        case .delete: self = .delete
        case .options: self = .options
        default: return nil
        }
    }

    var label: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .post: "POST"
        case .put: "PUT"
        case .patch: "PATCH"
        case .delete: "DELETE"
        case .options: "OPTIONS"
        case .other: "other"
        }
    }
}

/// The instruments of ``RequestMetricsMiddleware``, made on first use and kept.
final class RequestInstruments: Sendable {
    private struct Key: Hashable {
        var route: String?
        var method: KnownMethod
        var status: Int
    }

    private struct Answered: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
        let errors: Counter?
    }

    /// Requests in flight, indexed by ``KnownMethod``'s raw value.
    let active: [Meter]
    private let answered = Mutex<[Key: Answered]>([:])

    init() {
        self.active = KnownMethod.allCases.map { Meter(label: "http.server.active_requests", dimensions: [("http.request.method", $0.label)]) }
    }

    func record(route: String?, method: KnownMethod, status: HTTPResponse.Status, since start: NIODeadline) {
        let instruments = self.instruments(Key(route: route, method: method, status: status.code))
        instruments.requests.increment()
        instruments.errors?.increment()
        instruments.duration.recordNanoseconds((NIODeadline.now() - start).nanoseconds)
    }

    private func instruments(_ key: Key) -> Answered {
        self.answered.withLock { answered in
            if let found = answered[key] { return found }
            let made = Self.make(key)
            answered[key] = made
            return made
        }
    }

    private static func make(_ key: Key) -> Answered {
        let route = key.route ?? "NotFound"
        let dimensions = [
            ("http.route", route), ("http.request.method", key.method.label), ("http.response.status_code", String(key.status)),
        ]
        return Answered(
            requests: Counter(label: "hb.requests", dimensions: dimensions),
            duration: Metrics.Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds),
            // A made-up method's 501 is the client's doing: no server error to alert on.
            errors: key.status >= 500 && key.method != .other
                ? Counter(
                    label: "hb.request.errors",
                    dimensions: [("http.route", route), ("http.request.method", key.method.label), ("error.type", String(key.status))]
                ) : nil
        )
    }
}
