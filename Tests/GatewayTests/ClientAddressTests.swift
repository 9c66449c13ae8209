import HTTPTypes
import Testing

@testable import Gateway

@Suite("The client's address")
struct ClientAddressTests {
    static let resolver = ClientAddress(trustedProxies: ["10.0.0.1", "10.0.0.2"])

    static func headers(forwardedFor: String?) -> HTTPFields {
        var headers = HTTPFields()
        if let forwardedFor { headers[HTTPField.Name("X-Forwarded-For")!] = forwardedFor }
        return headers
    }

    @Test func anUntrustedPeerIsTheClientWhateverItForwards() {
        #expect(Self.resolver.resolve(peer: "203.0.113.9", headers: Self.headers(forwardedFor: "198.51.100.1")) == "203.0.113.9")
        #expect(Self.resolver.resolve(peer: nil, headers: Self.headers(forwardedFor: nil)) == "unknown")
    }

    @Test func behindTrustedProxiesTheNearestUntrustedHopIsTheClient() {
        // The client claims 1.1.1.1; the first proxy appended the real address; the second appended the first.
        let headers = Self.headers(forwardedFor: "1.1.1.1, 198.51.100.7, 10.0.0.2")
        #expect(Self.resolver.resolve(peer: "10.0.0.1", headers: headers) == "198.51.100.7")
    }

    @Test func aTrustedPeerWithoutForwardingIsItself() {
        #expect(Self.resolver.resolve(peer: "10.0.0.1", headers: Self.headers(forwardedFor: nil)) == "10.0.0.1")
        #expect(Self.resolver.resolve(peer: "10.0.0.1", headers: Self.headers(forwardedFor: " , 10.0.0.2")) == "10.0.0.1")
    }

    @Test func aLongHopIsCut() {
        let long = String(repeating: "a", count: 500)
        #expect(Self.resolver.resolve(peer: "10.0.0.1", headers: Self.headers(forwardedFor: long)).count == ClientAddress.maximumLength)
    }
}

@Suite("CSRF comparison")
struct CSRFCheckTests {
    @Test func equalOnlyWhenEveryByteIsEqual() {
        #expect(CSRFCheck.constantTimeEquals("abc", "abc"))
        #expect(!CSRFCheck.constantTimeEquals("abc", "abd"))
        #expect(!CSRFCheck.constantTimeEquals("abc", "abcd"))
        #expect(!CSRFCheck.constantTimeEquals("", "a"))
        #expect(CSRFCheck.newToken().count == 64)
    }
}
