import HTTPTypes
import Hummingbird
import Synchronization

/// The gateway's routes: registers each with the router and remembers which methods each path
/// has, so a wrong method gets 405 with `Allow` instead of the router's 404.
///
/// Filled while routes are registered, before the server starts; read-only afterwards.
public final class RouteTable: Sendable {
    private let storage = Mutex<[String: [HTTPRequest.Method]]>([:])

    init() {}

    func add(_ method: HTTPRequest.Method, _ path: String) {
        self.storage.withLock { $0[path, default: []].append(method) }
    }

    /// Every route: its path (`{parameter}` segments as registered) and its methods.
    var entries: [String: [HTTPRequest.Method]] { self.storage.withLock { $0 } }

    /// The methods served at `path`, matching `{parameter}` segments against anything.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let methodsByPath = self.storage.withLock { $0 }
        if let exact = methodsByPath[path] { return exact }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        for (pattern, methods) in methodsByPath where pattern.contains("{") {
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == segments.count else { continue }
            if zip(parts, segments).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) { return methods }
        }
        return nil
    }
}

/// Collects routes for a ``RouteTable`` while adding them to the router.
struct RouteRegistrar {
    let router: Router<GatewayRequestContext>
    let table: RouteTable

    init(router: Router<GatewayRequestContext>, table: RouteTable) {
        self.router = router
        self.table = table
    }

    /// Adds a route; `{name}` in the path is a parameter (Hummingbird's `:name`).
    func on(
        _ method: HTTPRequest.Method,
        _ path: String,
        handler: @escaping @Sendable (Request, GatewayRequestContext) async throws -> Response
    ) {
        self.table.add(method, path)
        let routerPath = path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("{") && $0.hasSuffix("}") ? ":" + $0.dropFirst().dropLast() : String($0) }
            .joined(separator: "/")
        self.router.on(RouterPath(routerPath), method: method, use: handler)
    }
}
