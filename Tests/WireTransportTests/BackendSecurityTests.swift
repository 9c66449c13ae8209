import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceConfiguration
import Testing
import WireProtocol
import WireTesting
@testable import WireTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `python3 -c code` as the `nobody` user; what it printed.
private func asNobody(_ code: String) async throws -> String {
    try await ChildProcess.run("/usr/sbin/runuser", ["-u", "nobody", "--", "/usr/bin/python3", "-c", code]).output
}

/// Connects to `path`, waits up to `wait` seconds, and prints `closed` when the server hung up,
/// `open` when it did not. A refusal comes at once, so a long wait costs only a failing run.
private func probeScript(_ path: String, wait: Double = 10) -> String {
    """
    import socket
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect('\(path)')
    except OSError as e:
        print('unreachable', e); raise SystemExit
    s.settimeout(\(wait))
    try:
        print('closed' if s.recv(1) == b'' else 'data')
    except socket.timeout:
        print('open')
    except OSError:
        print('closed')
    """
}

/// Connects to `path` `count` times in a row, each time waiting for the server to hang up;
/// prints how many connections were closed by the server.
private func repeatedProbeScript(_ path: String, count: Int) -> String {
    """
    import socket
    closed = 0
    for _ in range(\(count)):
        s = socket.socket(socket.AF_UNIX)
        s.connect('\(path)')
        s.settimeout(10)
        try:
            if s.recv(1) == b'': closed += 1
        except OSError:
            closed += 1
        s.close()
    print(closed)
    """
}

/// A directory `nobody` may enter and whose sockets it may open (group `nogroup`, setgid), so
/// that only the peer check stands between it and the server.
private func sharedDirectory() throws -> String {
    let path = "/tmp/auth-peer-\(UUID().uuidString.prefix(8))"
    guard mkdir(path, 0o750) == 0, chown(path, 0, 65534) == 0, chmod(path, 0o2750) == 0 else {
        throw CocoaError(.fileWriteNoPermission)
    }
    return path
}

@Suite("Who may call the backends", .serialized)
struct BackendSecurityTests {
    static let runsAsRoot = getuid() == 0

    @Test(.enabled(if: runsAsRoot, "needs root to run a process as nobody"))
    func aProcessOfAnotherUserIsRefusedBeforeAFrameIsRead() async throws {
        let directory = try sharedDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/identity.sock"
        try await withWireServer(dispatcher: .alwaysReady(), path: path) { address, _ in
            let output = try await asNobody(probeScript(path))
            #expect(output.hasPrefix("closed"), "nobody is not an allowed user: \(output)")
            // Many refusals in a row leave the accept loop serving.
            let refused = try await asNobody(repeatedProbeScript(path, count: 50))
            #expect(refused.hasPrefix("50"), "\(refused)")
            // The server goes on serving its own user.
            // Generous timeouts: the whole suite loads both cores.
            let connection = try await WireConnection.connect(to: address, connectTimeout: .seconds(10)).get()
            _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: .seconds(15))
            await connection.close()
            #expect(Self.mode(path) == 0o660, "the socket is 0660")
        }
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test(.enabled(if: runsAsRoot, "needs root to run a process as nobody"))
    func anAllowedUserIsServed() async throws {
        let directory = try sharedDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/token.sock"
        try await withWireServer(dispatcher: .alwaysReady(), path: path, security: BackendSecurity(allowedUIDs: [65534])) { _, _ in
            let output = try await asNobody(probeScript(path, wait: 1.5))
            #expect(output.hasPrefix("open"), "\(output)")
        }
    }

    @Test func theSocketDirectoryIsMadeOwnerAndGroupOnly() async throws {
        let directory = TemporaryDirectory(prefix: "perm")
        defer { directory.remove() }
        let socketDirectory = directory.appending("sockets")
        #expect(mkdir(socketDirectory, 0o777) == 0 && chmod(socketDirectory, 0o777) == 0)
        try await withWireServer(dispatcher: .alwaysReady(), path: socketDirectory + "/s.sock") { _, _ in
            #expect(Self.mode(socketDirectory) == 0o750, "corrected to 0750")
        }
        // A path whose directory is a file cannot be made safe: the server refuses to start.
        let file = directory.appending("plain")
        FileManager.default.createFile(atPath: file, contents: Data())
        let server = WireServer(configuration: .init(address: .unix(path: file + "/s.sock")), dispatcher: .alwaysReady(), logger: .init(label: "t"))
        await #expect(throws: WireServerError.self) { try await server.run() }
    }

    @Test func aClientTalksOnlyToAServerOfAnAllowedUser() async throws {
        try await withWireServer(dispatcher: .alwaysReady()) { address, _ in
            // The server runs as this process's user; a client that allows only another refuses it.
            var security = BackendSecurity.ownUser
            security.allowedUIDs = [65534]
            await #expect(throws: WireError.self) { _ = try await WireConnection.connect(to: address, security: security).get() }
        }
    }

    @Test(arguments: [
        "tcp://10.0.0.5:7000", "tcp://db.internal:7000", "tcp://0.0.0.0:7000", "tcp://[fe80::1]:7000", "tcp://127.0.0.1:7000",
        "tcp://localhost:7000", "tcp://[::1]:7000",
    ])
    func everyTCPAddressNeedsTLSLoopbackIncluded(text: String) throws {
        let address = try #require(WireEndpointAddress(parsing: text))
        #expect(throws: ConfigurationError.self) { try BackendSecurity.ownUser.check(address, variable: "TOKEN_SOCKET") }
    }

    @Test func unixSocketsNeedNone() throws {
        try BackendSecurity.ownUser.check(try #require(WireEndpointAddress(parsing: "/run/auth/token.sock")), variable: "TOKEN_SOCKET")
    }

    @Test func allowedUsersAreParsedAndTheOwnUserIsAlwaysIn() throws {
        let security = try BackendSecurity(environment: EnvironmentReader(["BACKEND_ALLOWED_UIDS": "1001, 1002"]))
        #expect(security.allowedUIDs == [1001, 1002, PeerCredentials.currentUID])
        #expect(throws: ConfigurationError.self) { _ = try BackendSecurity(environment: EnvironmentReader(["BACKEND_ALLOWED_UIDS": "gateway"])) }
        #expect { _ = try BackendSecurity(environment: EnvironmentReader(["BACKEND_TLS_CERT_FILE": "/x.pem"])) } throws: {
            ($0 as? ConfigurationError)?.variable == "BACKEND_TLS_KEY_FILE"
        }
    }
}

/// A CA and certificates made with openssl for the TLS tests.
private struct TestPKI {
    let directory = TemporaryDirectory(prefix: "pki")

    /// Makes the CA and certificates (openssl, run without blocking a thread).
    static func make() async throws -> TestPKI {
        let pki = TestPKI()
        let script = """
            set -e
            cd '\(pki.directory.path)'
            for ca in ca other-ca; do
              openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=$ca" 2>/dev/null
            done
            for name in server client; do
              openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $name.key -out $name.csr -subj "/CN=$name" 2>/dev/null
              openssl x509 -req -in $name.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $name.pem -days 2 2>/dev/null
            done
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key -out stranger.csr -subj "/CN=stranger" 2>/dev/null
            openssl x509 -req -in stranger.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -out stranger.pem -days 2 2>/dev/null
            """
        guard try await ChildProcess.run("/bin/sh", ["-c", script]).status == 0 else { throw CocoaError(.fileWriteUnknown) }
        return pki
    }

    func file(_ name: String) -> String { self.directory.appending(name) }

    func tls(_ name: String, trusting authority: String = "ca.pem") throws -> BackendTLS {
        try BackendTLS(certificateFile: self.file("\(name).pem"), keyFile: self.file("\(name).key"), authorityFile: self.file(authority))
    }
}

@Suite("Mutual TLS between the processes")
struct MutualTLSTests {
    @Test func aClientWithTheDeploymentsCertificateIsServedAndOthersAreNot() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let server = BackendSecurity(tls: try pki.tls("server"))
        try await withWireServer(dispatcher: .alwaysReady(), address: .tcp(host: "127.0.0.1", port: 0), security: server) { address, _ in
            let good = try await WireConnection.connect(
                to: address,
                connectTimeout: .seconds(10),
                security: BackendSecurity(tls: try pki.tls("client"))
            ).get()
            _ = try await good.request(.ping, payload: ByteBuffer(), timeout: .seconds(15))
            await good.close()

            // A certificate of another CA.
            await #expect(throws: (any Error).self) {
                let stranger = try await WireConnection.connect(to: address, security: BackendSecurity(tls: try pki.tls("stranger"))).get()
                _ = try await stranger.request(.ping, payload: ByteBuffer(), timeout: .seconds(5))
            }
            // No certificate at all (TLS that trusts the server, presenting nothing).
            var anonymous = TLSConfiguration.makeClientConfiguration()
            anonymous.trustRoots = .file(pki.file("ca.pem"))
            anonymous.certificateVerification = .noHostnameVerification
            let context = try NIOSSLContext(configuration: anonymous)
            let noCertificate = BackendTLS(serverContext: context, clientContext: context)
            await #expect(throws: (any Error).self) {
                let connection = try await WireConnection.connect(to: address, security: BackendSecurity(tls: noCertificate)).get()
                _ = try await connection.request(.ping, payload: ByteBuffer(), timeout: .seconds(5))
            }
            // Plain TCP to a TLS server.
            await #expect(throws: (any Error).self) {
                let plain = try await WireConnection.connect(to: address).get()
                _ = try await plain.request(.ping, payload: ByteBuffer(), timeout: .seconds(2))
            }
        }
    }

    @Test func aNonLoopbackAddressWithTLSConfiguredIsAccepted() async throws {
        let pki = try await TestPKI.make()
        defer { pki.directory.remove() }
        let security = BackendSecurity(tls: try pki.tls("server"))
        try security.check(try #require(WireEndpointAddress(parsing: "tcp://10.0.0.5:7000")), variable: "TOKEN_SOCKET")
    }
}
