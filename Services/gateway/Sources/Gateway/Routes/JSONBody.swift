import HTTPTypes
import Hummingbird
import NIOCore

/// Small JSON responses written directly, without an encoder round trip.
enum JSONBody {
    static func response(_ status: HTTPResponse.Status, _ json: String, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
