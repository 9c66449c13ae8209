public import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Who is at the other end of a Unix-domain socket, as the kernel says (`SO_PEERCRED`): the
/// process, user and group that connected (or, seen from a client, that listen). Nothing the
/// peer sends can change it.
public struct PeerCredentials: Sendable, Hashable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    /// Linux's `struct ucred`, field for field: what `getsockopt(SO_PEERCRED)` fills in.
    private struct UCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// The credentials of `channel`'s peer; fails when the channel is not a Unix-domain socket.
    public static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials> {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else {
                return channel.eventLoop.makeFailedFuture(PeerCredentialsError.unavailable)
            }
            let future: EventLoopFuture<UCred> = provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET),
                name: SocketOptionName(SO_PEERCRED)
            )
            return future.map { PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid) }
        #else
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError.unavailable)
        #endif
    }

    /// This process's own user.
    public static var currentUID: UInt32 { UInt32(getuid()) }

    /// The user owning the file at `path` (not following a symbolic link), if it exists.
    public static func owner(ofFile path: String) -> UInt32? {
        var status = Glibc.stat()
        guard Glibc.lstat(path, &status) == 0 else { return nil }
        return UInt32(status.st_uid)
    }
}

/// Why a peer's credentials could not be read or were refused.
public enum PeerCredentialsError: Error, Sendable, Hashable {
    /// Not a Unix-domain socket, or not a system that tells.
    case unavailable
    /// The peer runs as a user not allowed here.
    case refused(uid: UInt32)
}
