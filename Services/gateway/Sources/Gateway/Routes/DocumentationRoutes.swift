import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The API's own description: `/openapi.json` (``APIDocument``), Swagger UI at `/docs` and ReDoc
/// at `/redoc`. The viewers' files are shipped with the gateway and served from
/// ``DocumentationRoutes/assetsPath`` with a year's caching (the path names their version), so
/// the pages work with no internet; each page's content security policy allows only them.
struct DocumentationRoutes {
    /// The document, encoded on its first request.
    let document: EncodedDocument
    /// Swagger UI's and ReDoc's files (`OPENAPI_ASSETS_DIR`).
    let assetsDirectory: String
    let logger: Logger

    /// Where the viewers' files are served; the version is the distribution's
    /// (`scripts/fetch-viewers`), so a new one never meets an old cached copy.
    static let assetsPath = "/docs/assets/2026.10.1"

    /// Scripts and styles from here only; Swagger UI and ReDoc style elements inline and ReDoc
    /// runs a worker from a blob, so those two are allowed; nothing may frame the pages.
    static let pagePolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
        "font-src 'self' data:", "connect-src 'self'", "worker-src 'self' blob:", "frame-ancestors 'none'", "base-uri 'none'",
        "form-action 'none'",
    ].joined(separator: "; ")

    func register(in routes: RouteRegistrar) {
        // The files, under their path only: a middleware of that group, so no other request
        // passes through it. The catch-all route's 404 is what the file middleware answers from the
        // directory; a file it does not have stays the usual 404.
        routes.router.group(RouterPath(Self.assetsPath))
            .add(
                middleware: FileMiddleware(
                    self.assetsDirectory,
                    urlBasePath: Self.assetsPath,
                    cacheControl: CacheControl([(MediaType(type: .any), [.public, .maxAge(365 * 86400), .custom("immutable")])]),
                    logger: self.logger
                )
            )
            .get("**") { _, _ -> Response in throw HTTPError(.notFound) }
        routes.on(.get, "/openapi.json") { _, _ in
            guard let document = self.document.bytes else {
                throw APIError(.serviceUnavailable, "the API description is unavailable")
            }
            return JSONBody.response(.ok, document, headers: [.cacheControl: "public, max-age=60"])
        }
        routes.on(.get, "/docs") { _, _ in Self.page(Self.swaggerPage) }
        routes.on(.get, "/redoc") { _, _ in Self.page(Self.redocPage) }
        routes.router.get("/docs/swagger-initializer.js") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=300"],
                body: .init(byteBuffer: ByteBuffer(string: Self.swaggerInitializer))
            )
        }
    }

    static func page(_ html: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "public, max-age=300", .contentSecurityPolicy: Self.pagePolicy],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    static let swaggerPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>auth-service API (Swagger UI)</title>
        <link rel="stylesheet" href="\(assetsPath)/swagger-ui/swagger-ui.css">
        <link rel="icon" type="image/png" href="\(assetsPath)/swagger-ui/favicon-32x32.png">
        </head>
        <body>
        <div id="swagger-ui"></div>
        <script src="\(assetsPath)/swagger-ui/swagger-ui-bundle.js"></script>
        <script src="/docs/swagger-initializer.js"></script>
        </body>
        </html>
        """

    /// Starts Swagger UI on `/openapi.json`; a file rather than an inline script, so the page's
    /// policy can forbid inline scripts.
    static let swaggerInitializer = """
        window.addEventListener("load", function () {
          window.ui = SwaggerUIBundle({
            url: "/openapi.json",
            dom_id: "#swagger-ui",
            deepLinking: true,
            presets: [SwaggerUIBundle.presets.apis],
            layout: "BaseLayout"
          });
        });
        """

    static let redocPage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>auth-service API (ReDoc)</title>
        </head>
        <body>
        <redoc spec-url="/openapi.json"></redoc>
        <script src="\(assetsPath)/redoc/redoc.standalone.js"></script>
        </body>
        </html>
        """
}
