public import NIOCore
public import WireProtocol

extension Frame {
    /// The payload of an answer, or the error an error answer carries.
    ///
    /// - Throws: ``WireError/remote(status:message:metadata:)`` for an error answer.
    public func answerPayload() throws(WireError) -> ByteBuffer {
        guard self.header.kind == .error else { return self.payload }
        let reply = (try? WirePayload.decode(WireErrorReply.self, from: self.payload)) ?? WireErrorReply()
        throw WireError.remote(status: WireStatus(rawValue: self.header.code), message: reply.message, metadata: reply.metadata)
    }
}
