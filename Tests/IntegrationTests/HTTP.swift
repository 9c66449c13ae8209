import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// An independent HTTP/1.1 client (AsyncHTTPClient) for the end-to-end tests.
enum HTTP {
    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: String

        /// The body parsed as a JSON object.
        var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(self.body.utf8))) as? [String: Any]
        }
    }

    static func get(_ url: String, headers: [(String, String)] = []) async throws -> Reply {
        try await self.send(.GET, url, headers: headers)
    }

    static func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Reply {
        try await self.sendBytes(method, url, headers: headers, body: body.map { Array($0.utf8) })
    }

    static func sendBytes(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]?) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: bytes))
    }
}
