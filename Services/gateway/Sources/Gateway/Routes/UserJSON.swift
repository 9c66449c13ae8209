public import NIOCore
import ServiceRuntime
public import WireProtocol

/// The user as the API shows it (seed 000's shape, with seed 002's `tier`): never the hash.
///
/// Written by hand, not by `JSONEncoder`: about_me answers it on every call, and
/// `Benchmarks/JSONBenchmarks` measures the difference.
public enum UserJSON {
    public static func write(_ user: WireUser, to body: inout ByteBuffer) {
        body.writeString(#"{"id":"#)
        body.writeString(String(user.id))
        body.writeString(#","username":"#)
        body.writeJSONString(user.username)
        body.writeString(#","email":"#)
        body.writeJSONString(user.email)
        body.writeString(#","full_name":"#)
        if user.hasFullName { body.writeJSONString(user.fullName) } else { body.writeString("null") }
        body.writeString(#","role":"#)
        body.writeJSONString(user.role)
        body.writeString(#","tier":"#)
        if user.hasTier { body.writeJSONString(user.tier) } else { body.writeString("null") }
        body.writeString(#","is_active":"#)
        body.writeString(user.isActive ? "true" : "false")
        body.writeString(#","is_verified":"#)
        body.writeString(user.isVerified ? "true" : "false")
        body.writeString(#","mfa_enabled":"#)
        body.writeString(user.mfaEnabled ? "true" : "false")
        body.writeString(#","created_at":"#)
        body.writeJSONString(user.createdAt)
        body.writeString("}")
    }

    public static func body(_ user: WireUser) -> ByteBuffer {
        var body = ByteBuffer()
        body.reserveCapacity(256)
        Self.write(user, to: &body)
        return body
    }
}
