import Foundation
import Testing
import WireTesting
import WireTransport
@testable import Gateway

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Following a socket directory")
struct SocketDirectoryTests {
    /// Binds a Unix socket at `path` (and leaves the file, as a listening process would).
    static func makeSocket(_ path: String) async throws {
        _ = try await ChildProcess.run("/usr/bin/python3", ["-c", "import socket; socket.socket(socket.AF_UNIX).bind('\(path)')"])
    }

    @Test(.enabled(if: getuid() == 0, "needs root to give a file to another user"))
    func onlySocketsOfAllowedUsersAreFollowed() async throws {
        let directory = TemporaryDirectory(prefix: "sockets")
        defer { directory.remove() }
        for name in ["token-1.sock", "token-2.sock", "planted.sock"] { try await Self.makeSocket(directory.appending(name)) }
        _ = FileManager.default.createFile(atPath: directory.appending("notes.sock"), contents: Data("not a socket".utf8))
        #expect(chown(directory.appending("planted.sock"), 65534, 65534) == 0)

        let own = SocketDirectory.sockets(in: directory.path, ownedBy: [PeerCredentials.currentUID])
        #expect(own == [.unix(path: directory.appending("token-1.sock")), .unix(path: directory.appending("token-2.sock"))])
        let both = SocketDirectory.sockets(in: directory.path, ownedBy: [PeerCredentials.currentUID, 65534])
        #expect(both.count == 3)
    }
}
