@testable import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import WireProtocol
import WireTransport

@Suite("WireStatus to HTTP")
struct ErrorMappingTests {
    static let cases: [(WireStatus, HTTPResponse.Status)] = [
        (.invalidArgument, .unprocessableContent),
        (.conflict, .conflict),
        (.notFound, .notFound),
        (.invalidCredentials, .unauthorized),
        (.invalidToken, .unauthorized),
        (.tokenReused, .unauthorized),
        (.accountInactive, .unauthorized),
        (.permissionDenied, .forbidden),
        (.rateLimited, .tooManyRequests),
        (.overloaded, .serviceUnavailable),
        (.shuttingDown, .serviceUnavailable),
        (.dependencyUnavailable, .serviceUnavailable),
        (.deadlineExceeded, .gatewayTimeout),
        (.internalError, .badGateway),
        (.malformedFrame, .badGateway),
        (.unknownOperation, .badGateway),
        (WireStatus(rawValue: 65000), .badGateway),
    ]

    @Test(arguments: Self.cases)
    func everyStatusHasAnHTTPAnswerInTheDetailShape(status: WireStatus, expected: HTTPResponse.Status) throws {
        let error = APIError.from(backendError: WireError.remote(status: status, message: "backend says \"no\""), service: "identity")
        #expect(error.status == expected)
        let response = error.response()
        #expect(response.headers[.contentType] == "application/json")
        #expect(response.status != .internalServerError, "nothing from a backend becomes a 500")
        if expected == .unauthorized { #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true) }
        if expected == .serviceUnavailable || expected == .tooManyRequests { #expect(response.headers[.retryAfter] != nil) }
        if [.unprocessableContent, .conflict, .unauthorized].contains(expected) {
            #expect(error.detail == "backend says \"no\"", "client-safe backend messages are passed on")
        }
    }

    @Test func tokenErrorsCarryTheRFC6750Error() {
        let error = APIError.from(backendError: WireError.remote(status: .invalidToken, message: "Invalid token"), service: "token")
        #expect(error.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
    }

    @Test func aLimitRefusedInsideAnOperationAnswersWithItsHeaders() {
        let metadata = ["limit": "3", "remaining": "0", "reset_seconds": "41.5", "retry_after_seconds": "19.2"]
        let error = APIError.from(
            backendError: WireError.remote(status: .rateLimited, message: "Rate limit exceeded, retry later", metadata: metadata),
            service: "token"
        )
        #expect(error.status == .tooManyRequests)
        #expect(error.headers[.retryAfter] == "20")
        #expect(error.headers[.rateLimitLimit] == "3")
        #expect(error.headers[.rateLimitRemaining] == "0")
        #expect(error.headers[.rateLimitReset] == "42")
        let bare = APIError.from(backendError: WireError.remote(status: .rateLimited, message: "busy"), service: "token")
        #expect(bare.status == .tooManyRequests && bare.headers[.retryAfter] == "60", "without a decision: the plain 429")
    }

    @Test func transportFailuresAreUnavailableOrTimeouts() {
        #expect(APIError.from(backendError: WireError.connectionFailed(endpoint: "x", reason: "y"), service: "token").status == .serviceUnavailable)
        #expect(APIError.from(backendError: WireError.noHealthyEndpoint(service: "token"), service: "token").status == .serviceUnavailable)
        #expect(APIError.from(backendError: WireError.deadlineExceeded, service: "token").status == .gatewayTimeout)
        #expect(APIError.from(backendError: CancellationError(), service: "token").status == .badGateway)
    }

    @Test func detailIsEscapedJSON() async throws {
        let error = APIError(.badRequest, "quote \" backslash \\ newline \n control \u{01}")
        let app = Application(
            router: {
                let router = Router(); router.get("/e") { _, _ -> Response in throw error }; return router
            }()
        )
        try await app.test(.router) { client in
            try await client.execute(uri: "/e", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body) == #"{"detail":"quote \" backslash \\ newline \n control \u0001"}"#)
            }
        }
    }
}
