#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
import Logging
import NIOCore
import Synchronization

/// The OpenAPI document, encoded on its first request and kept.
///
/// Building it runs code (OpenAPIKit, the JSON encoder) that nothing else in the gateway needs:
/// built at start, those pages would stay resident in every gateway, asked for the document or not.
final class EncodedDocument: Sendable {
    private let encode: @Sendable () throws -> Data
    private let encoded = Mutex<ByteBuffer?>(nil)
    private let logger: Logger

    init(logger: Logger, encode: @escaping @Sendable () throws -> Data) {
        self.encode = encode
        self.logger = logger
    }

    /// The document's bytes; `nil` when it does not encode (a bug, logged).
    var bytes: ByteBuffer? {
        if let encoded = self.encoded.withLock({ $0 }) { return encoded }
        // Encoded outside the lock, which no thread should wait on for that long: the first
        // requests may each encode it, and the first to finish is kept.
        do {
            let buffer = ByteBuffer(bytes: try self.encode())
            return self.encoded.withLock { encoded in
                if encoded == nil { encoded = buffer }
                return encoded
            }
        } catch {
            // Its values are fixed in the code: a document that does not encode is a bug.
            self.logger.critical("the OpenAPI document does not encode", metadata: ["error": "\(error)"])
            return nil
        }
    }
}
