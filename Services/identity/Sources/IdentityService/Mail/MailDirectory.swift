import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// ``MailTransport`` for development (`MAIL_URL=file:///dir`): each message becomes one file,
/// `<seconds>-<n>.eml`, readable by this user only (it holds codes and links), written under a
/// temporary name and renamed, so a reader never sees half of one.
public struct MailDirectory: MailTransport {
    public let path: String

    public init(path: String) {
        self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
    }

    /// The file is written on NIO's blocking thread pool, never on a task's thread.
    public func deliver(_ message: [UInt8], from: String, to: String) async throws(MailDeliveryError) {
        let result: Result<Void, MailDeliveryError>
        do {
            result = try await NIOThreadPool.singleton.runIfActive { self.store(message) }
        } catch {
            throw .temporary("the thread pool is not running")
        }
        try result.get()
    }

    func store(_ message: [UInt8]) -> Result<Void, MailDeliveryError> {
        do {
            try self.writeFile(message)
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    private func writeFile(_ message: [UInt8]) throws(MailDeliveryError) {
        if mkdir(self.path, 0o700) != 0 && errno != EEXIST {
            throw .temporary("\(self.path): \(String(cString: strerror(errno)))")
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let name = "\(now.tv_sec)-\(String(now.tv_nsec, radix: 10))-\(UInt32.random(in: .min ... .max))"
        let temporary = "\(self.path)/.\(name).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .temporary("\(temporary): \(String(cString: strerror(errno)))") }
        let written = message.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let reason = String(cString: strerror(errno))
        close(descriptor)
        guard written == message.count, rename(temporary, "\(self.path)/\(name).eml") == 0 else {
            unlink(temporary)
            throw .temporary("\(self.path): \(reason)")
        }
    }
}
