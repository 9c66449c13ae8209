public import NIOCore
public import SwiftProtobuf

/// Encodes and decodes frame payloads, always through the same decoding limits.
///
/// Payloads come from other processes of the stack, but a compromised or buggy peer must not be
/// able to make us recurse deeply; our messages are at most a few levels deep.
public enum WirePayload {
    /// The decoding options every payload goes through.
    public static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 8
        options.discardUnknownFields = true
        return options
    }()

    /// Serialises `message` into a buffer.
    public static func encode(_ message: some Message, allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        // Serialising a proto3 message we built ourselves fails only if a required field is unset,
        // and proto3 has none; an empty payload is what a peer would decode as the default message.
        let bytes: [UInt8] = (try? message.serializedBytes()) ?? []
        return allocator.buffer(bytes: bytes)
    }

    /// Parses `buffer` as a `Message`.
    ///
    /// - Throws: ``WireError/malformedPayload(_:)`` naming the message type.
    public static func decode<M: Message>(_ type: M.Type, from buffer: ByteBuffer) throws(WireError) -> M {
        do {
            return try M(serializedBytes: Array(buffer.readableBytesView), options: Self.decodingOptions)
        } catch {
            throw .malformedPayload("not a valid \(M.protoMessageName)")
        }
    }
}
