import HTTPTypes
import Hummingbird
import NIOCore

/// JSON responses whose bodies the routes write directly, without an encoder round trip.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ body: ByteBuffer, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    static func response(_ status: HTTPResponse.Status, _ json: String, headers: HTTPFields = [:]) -> Response {
        self.response(status, ByteBuffer(string: json), headers: headers)
    }
}
