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

    @Test func perAddressLimitsCountIPv6ByItsSlash64() {
        #expect(ClientAddress.rateLimitBucket("192.0.2.7") == "192.0.2.7")
        #expect(ClientAddress.rateLimitBucket("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(ClientAddress.rateLimitBucket("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64")
        #expect(ClientAddress.rateLimitBucket("2001:0DB8:0001:0002:0:0:0:9") == "2001:db8:1:2::/64", "one bucket however it is written")
        #expect(ClientAddress.rateLimitBucket("2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(ClientAddress.rateLimitBucket("fe80::1%eth0") == "fe80:0:0:0::/64")
        #expect(ClientAddress.rateLimitBucket("::ffff:192.0.2.7") == "192.0.2.7", "a mapped IPv4 address counts as itself")
        #expect(ClientAddress.rateLimitBucket("64:ff9b::c000:207") == "192.0.2.7", "so does a NAT64 one")
        #expect(ClientAddress.rateLimitBucket("::192.0.2.7") == "192.0.2.7", "and an IPv4-compatible one")
        #expect(ClientAddress.rateLimitBucket("::1") == "0:0:0:0::/64", "loopback is no IPv4 address")
        #expect(ClientAddress.rateLimitBucket("[2001:db8:1:2::1]") == "2001:db8:1:2::/64")
        #expect(ClientAddress.rateLimitBucket("[2001:db8:1:2::1]:443") == "2001:db8:1:2::/64", "brackets and a port dropped")
        #expect(ClientAddress.rateLimitBucket("unknown") == "unknown")
        #expect(ClientAddress.rateLimitBucket("not:an:address") == "not:an:address")
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
