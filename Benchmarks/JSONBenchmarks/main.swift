// Why the hot answers' JSON is written by hand: the user body of about_me as the gateway writes
// it (Routes/UserJSON.swift) against Foundation's JSONEncoder on the equivalent Codable struct,
// into a ByteBuffer either way. Run: `make bench` (release build); prints ns per body and the ratio.
import Foundation
import Gateway
import NIOCore
import WireProtocol

struct User: Codable {
    var id: Int64
    var username: String
    var email: String
    var full_name: String?
    var role: String
    var tier: String?
    var is_active: Bool
    var is_verified: Bool
    var created_at: String
}

let user = User(
    id: 4242,
    username: "john_doe",
    email: "john@example.com",
    full_name: "John \"Johnny\" Doe",
    role: "user",
    tier: nil,
    is_active: true,
    is_verified: false,
    created_at: "2026-12-02T01:02:03.456Z"
)

/// Nanoseconds per call of `body`, the best of five rounds of `count` calls.
func nanoseconds(_ count: Int, _ body: () throws -> Int) rethrows -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<5 {
        let started = ContinuousClock.now
        for _ in 0..<count { sink &+= try body() }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds * 1e9 / Double(count))
    }
    if sink == 42 { print("") }
    return best
}

var wire = WireUser()
wire.id = user.id
wire.username = user.username
wire.email = user.email
wire.fullName = user.full_name ?? ""
wire.role = user.role
wire.isActive = user.is_active
wire.isVerified = user.is_verified
wire.createdAt = user.created_at

// The two agree on the bytes that matter (field order aside).
let check = UserJSON.body(wire)
let decoded = try JSONDecoder().decode(User.self, from: Data(check.readableBytesView))
precondition(decoded.full_name == user.full_name && decoded.id == user.id, "hand-written JSON reads back")

let encoder = JSONEncoder()
let count = 200_000
let manual = nanoseconds(count) { UserJSON.body(wire).readableBytes }
let foundation = try nanoseconds(count) {
    let data = try encoder.encode(user)
    return ByteBuffer(bytes: data).readableBytes
}
print("about_me's user body, \(check.readableBytes) bytes")
print("  hand-written (UserJSON):     \(Int(manual.rounded())) ns")
print("  JSONEncoder:                 \(Int(foundation.rounded())) ns")
print("  JSONEncoder / hand-written:  \(Double(Int(foundation / manual * 10)) / 10)×")
