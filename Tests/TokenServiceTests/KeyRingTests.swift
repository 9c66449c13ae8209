import Foundation
import JWTKit
import Logging
import ServiceConfiguration
import Testing
import WireTesting
@testable import TokenService

/// Asymmetric keys: signing and verifying, the key directory's schedule, and what the ring refuses.
@Suite("Signing keys")
struct KeyRingTests {
    typealias Access = AccessTokenTests

    /// A fresh key directory under the temporary folder, removed afterwards.
    static func withDirectory(_ algorithm: SigningAlgorithm, _ body: (KeyDirectory) async throws -> Void) async throws {
        let directory = TemporaryDirectory(prefix: "keys")
        defer { directory.remove() }
        try await body(KeyDirectory(path: directory.appending("keys"), algorithm: algorithm))
    }

    @Test(arguments: [SigningAlgorithm.eddsa, .es256])
    func asymmetricTokensVerifyWithThePublicKeyAlone(_ algorithm: SigningAlgorithm) async throws {
        let key = try SigningKey.generate(algorithm)
        let ring = await KeyRing(KeySet(key))
        let token = try await ring.sign(Access.claims())
        let header = try #require(KeyRing.header(of: token))
        #expect(header.alg == algorithm.rawValue && header.kid == key.id && header.typ == "at+jwt")
        _ = try await Access.verifier(ring).verify(token, now: Access.now)

        // Anyone holding the published key verifies it, with jwt-kit's own JWK reading.
        let jwk = try #require(key.publicJWK)
        #expect(jwk.kid == key.id && jwk.use == "sig")
        let outside = JWTKeyCollection()
        try await outside.add(jwk: try JWK(json: String(decoding: try JSONEncoder().encode(jwk), as: UTF8.self)))
        let claims = try await outside.verify(token, as: AccessTokenClaims.self)
        #expect(claims.sub == "42")
    }

    @Test(arguments: [SigningAlgorithm.eddsa, .es256])
    func aKeyReadBackFromItsPEMIsTheSameKey(_ algorithm: SigningAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let pem = try #require(key.pemRepresentation)
        #expect(pem.hasPrefix("-----BEGIN"))
        #expect(try SigningKey(pem: pem, algorithm: algorithm).id == key.id)
        let other: SigningAlgorithm = algorithm == .eddsa ? .es256 : .eddsa
        #expect(throws: SigningKeyError.self) { try SigningKey(pem: pem, algorithm: other) }
    }

    @Test func tokensOfAnotherKeyOrAlgorithmUnderOurKidAreRefused() async throws {
        let key = try SigningKey.generate(.eddsa)
        let ring = await KeyRing(KeySet(key))
        // Another Ed25519 key claiming our kid.
        let impostor = JWTKeyCollection()
        await impostor.add(eddsa: try EdDSA.PrivateKey(curve: .ed25519), kid: JWKIdentifier(string: key.id))
        var header = JWTHeader()
        header.typ = "at+jwt"
        let forged = try await impostor.sign(Access.claims(), kid: JWKIdentifier(string: key.id), header: header)
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Access.verifier(ring).verify(forged, now: Access.now) }
        // Algorithm confusion: HS256 keyed with the public key's bytes, which anyone can read.
        let confused = JWTKeyCollection()
        let publicX = try #require(key.publicJWK?.x)
        await confused.add(hmac: HMACKey(from: publicX), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
        let hmacToken = try await confused.sign(Access.claims(), kid: JWKIdentifier(string: key.id), header: header)
        await #expect(throws: TokenError.invalidAccessToken) { _ = try await Access.verifier(ring).verify(hmacToken, now: Access.now) }
        // And HS256 rings publish nothing.
        #expect(KeySet(SigningKey(hmacSecret: Access.secret)).publicKeys.isEmpty)
    }

    @Test func theDirectoryMakesItsFirstKeyOnceAndKeepsItPrivate() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let first = try directory.prepare(now: 1000)
            let again = try directory.prepare(now: 2000)
            #expect(first.signing.id == again.signing.id)
            // An instance started at the same moment whose clock read came a moment before the
            // key was stamped: the directory's only key signs for it too.
            #expect(try directory.prepare(now: 999.5).signing.id == first.signing.id)
            #expect(try directory.entries().count == 1)
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.keyPath(first.signing.id))
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let es256 = KeyDirectory(path: directory.path, algorithm: .es256)
            #expect(throws: KeyDirectoryError.algorithmMismatch(found: .eddsa, configured: .es256)) { _ = try es256.keySet(now: 2000) }
        }
    }

    /// A rotation publishes the new key at once, signs with it from its activation, keeps the
    /// old one verifying for the window, then drops it; retiring ends a key at once.
    @Test func rotationPublishesFirstSwitchesTogetherAndRetiresLater() async throws {
        try await Self.withDirectory(.es256) { directory in
            let old = try directory.prepare(now: 1000).signing.id
            let new = try directory.rotate(now: 1100, activationDelay: 21, verificationWindow: 990).kid
            let published = try directory.keySet(now: 1101)
            #expect(published.signing.id == old, "not active yet")
            #expect(Set(published.publicKeys.map(\.kid)) == [old, new], "but already published")
            let active = try directory.keySet(now: 1121)
            #expect(active.signing.id == new)
            #expect(Set(active.verifying.map(\.id)) == [old, new])
            #expect(try directory.keySet(now: 1121 + 989).verifying.count == 2)
            #expect(try directory.keySet(now: 1121 + 990).verifying.map(\.id) == [new], "the old key's tokens have all expired")

            // Retirement: not the key that signs now; another key at once.
            #expect(throws: KeyDirectoryError.wouldLeaveNoSigningKey(new)) { try directory.retire(kid: new, now: 1200) }
            try directory.retire(kid: old, now: 1200)
            #expect(try directory.keySet(now: 1200).verifying.map(\.id) == [new])
            #expect(throws: KeyDirectoryError.unknownKey(old)) { try directory.retire(kid: old, now: 1201) }

            // A later rotation deletes the files of keys whose window has passed.
            try directory.rotate(now: 5000, activationDelay: 21, verificationWindow: 990)
            #expect(!FileManager.default.fileExists(atPath: directory.keyPath(old)))
            #expect(try directory.entries().map(\.kid).contains(new))
        }
    }

    /// A directory, `keys.json` or key file someone else could change, or a symbolic link, is
    /// refused: whoever writes the directory chooses the key that signs.
    @Test func aDirectoryOthersCouldWriteOrALinkIsRefused() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let kid = try directory.prepare(now: 1000).signing.id
            func refused(_ change: () -> Int32, undo: () -> Int32) {
                #expect(change() == 0)
                #expect {
                    _ = try directory.keySet(now: 1001)
                } throws: { error in
                    guard case .insecure = error as? KeyDirectoryError else { return false }
                    return true
                }
                #expect(undo() == 0)
            }
            refused({ chmod(directory.path, 0o777) }, undo: { chmod(directory.path, 0o700) })
            refused({ chmod(directory.path, 0o720) }, undo: { chmod(directory.path, 0o700) })
            refused({ chmod(directory.manifestPath, 0o666) }, undo: { chmod(directory.manifestPath, 0o644) })
            refused({ chmod(directory.keyPath(kid), 0o640) }, undo: { chmod(directory.keyPath(kid), 0o600) })
            if geteuid() == 0 {  // only root may give a file away
                refused({ chown(directory.keyPath(kid), 65534, 65534) }, undo: { chown(directory.keyPath(kid), geteuid(), getegid()) })
                refused({ chown(directory.path, 65534, 65534) }, undo: { chown(directory.path, geteuid(), getegid()) })
            }
            // A key file replaced by a link to a key elsewhere.
            let elsewhere = directory.path + "-elsewhere.pem"
            #expect(rename(directory.keyPath(kid), elsewhere) == 0)
            refused({ symlink(elsewhere, directory.keyPath(kid)) }, undo: { unlink(directory.keyPath(kid)) })
            #expect(rename(elsewhere, directory.keyPath(kid)) == 0)
            // The directory itself as a link.
            let link = directory.path + "-link"
            #expect(symlink(directory.path, link) == 0)
            #expect(throws: KeyDirectoryError.self) { _ = try KeyDirectory(path: link, algorithm: .eddsa).keySet(now: 1001) }
            unlink(link)
            #expect(try directory.keySet(now: 1001).signing.id == kid, "as it was, it is read again")
        }
    }

    /// Files the directory writes are private whatever the umask: under 002 keys.json would
    /// otherwise come out group-writable and the next read refuse it.
    @Test func whatTheDirectoryWritesItReadsUnderAPermissiveUmask() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let previous = umask(0o002)
            defer { umask(previous) }
            let first = try directory.prepare(now: 1000).signing.id
            let next = try directory.rotate(now: 1000, activationDelay: 20, verificationWindow: 100).kid
            #expect(try directory.keySet(now: 1030).signing.id == next)
            for file in [directory.manifestPath, directory.keyPath(first), directory.keyPath(next)] {
                let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0o777
                #expect(mode & 0o022 == 0, "\(file): \(String(mode, radix: 8))")
            }
        }
    }

    /// A key retired while its key file (or any other) cannot be read still stops verifying, by
    /// keys.json; with keys.json unreadable too, by the end known when the keys were loaded.
    @Test func keysPastTheirEndAreDroppedWhenTheDirectoryCannotBeRead() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let clock = ManualClock(1000)
            let old = try directory.prepare(now: 1000).signing.id
            let ring = await KeyRing(try directory.keySet(now: 1000))
            var logger = Logger(label: "keys")
            logger.logLevel = .critical
            let refresher = KeyRingRefresher(ring: ring, directory: directory, interval: .seconds(1), logger: logger, now: { clock.now })
            let new = try directory.rotate(now: 1000, activationDelay: 20, verificationWindow: 100).kid
            clock.set(1030)
            #expect(await refresher.reload())
            #expect(ring.signingKeyID == new && Set(ring.keySet.verifying.map(\.id)) == [old, new])

            try directory.retire(kid: old, now: 1040)
            #expect(chmod(directory.keyPath(new), 0o644) == 0)  // the directory cannot be read now
            clock.set(1050)
            #expect(await refresher.reload(), "the retired key dropped all the same")
            #expect(ring.keySet.verifying.map(\.id) == [new])

            // And with keys.json gone as well: by the ends known.
            #expect(chmod(directory.keyPath(new), 0o600) == 0)
            let third = try directory.rotate(now: 1060, activationDelay: 20, verificationWindow: 100).kid
            clock.set(1090)
            #expect(await refresher.reload())
            #expect(Set(ring.keySet.verifying.map(\.id)) == [new, third])
            #expect(chmod(directory.manifestPath, 0o666) == 0)
            clock.set(1179)
            #expect(await !refresher.reload(), "nothing has ended yet")
            clock.set(1180)
            #expect(await refresher.reload())
            #expect(ring.keySet.verifying.map(\.id) == [third])
        }
    }

    /// Retiring a key before it activates gives the key it was to replace its open end back, and
    /// a directory where nothing signs now (as such a retirement used to leave) is mended by a
    /// rotation, whose key then signs at once.
    @Test func retiringAPendingKeyLeavesASignerAndARotationMendsADirectoryWithNone() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let old = try directory.prepare(now: 1000).signing.id
            let pending = try directory.rotate(now: 1000, activationDelay: 20, verificationWindow: 100).kid
            try directory.retire(kid: pending, now: 1005)
            #expect(try directory.entries().first { $0.kid == old }?.verifyUntil == nil)
            #expect(try directory.keySet(now: 5000).signing.id == old, "still signing long after")

            // What the retirement used to leave: the old key ending, the pending one retired.
            let pendingAgain = try directory.rotate(now: 6000, activationDelay: 20, verificationWindow: 100).kid
            var manifest = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory.manifestPath))) as? [String: Any]
            )
            var keys = try #require(manifest["keys"] as? [[String: Any]])
            for index in keys.indices where keys[index]["kid"] as? String == pendingAgain { keys[index]["verify_until"] = 6005.0 }
            manifest["keys"] = keys
            try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: directory.manifestPath))
            #expect(throws: KeyDirectoryError.noSigningKey) { _ = try directory.keySet(now: 6200) }
            let mended = try directory.rotate(now: 6200, activationDelay: 20, verificationWindow: 100)
            #expect(mended.activates == 6200)
            #expect(try directory.keySet(now: 6200).signing.id == mended.kid)
        }
    }

    /// The refresher installs what the directory holds when it changes, and nothing otherwise.
    @Test func theRefresherFollowsTheDirectory() async throws {
        try await Self.withDirectory(.eddsa) { directory in
            let clock = ManualClock(1000)
            let ring = await KeyRing(try directory.prepare(now: 1000))
            var logger = Logger(label: "keys")
            logger.logLevel = .critical
            let refresher = KeyRingRefresher(ring: ring, directory: directory, interval: .seconds(1), logger: logger, now: { clock.now })
            let before = try await ring.sign(Access.claims())
            #expect(await !refresher.reload())
            let new = try directory.rotate(now: 1000, activationDelay: 3, verificationWindow: 990).kid
            #expect(await refresher.reload(), "published")
            #expect(ring.signingKeyID != new)
            clock.set(1003)
            #expect(await refresher.reload(), "activated")
            #expect(ring.signingKeyID == new)
            _ = try await Access.verifier(ring).verify(before, now: Access.now)
            try directory.retire(kid: KeyRing.header(of: before)?.kid ?? "", now: 1004)
            clock.set(1004)
            #expect(await refresher.reload(), "retired")
            await #expect(throws: TokenError.invalidAccessToken) { _ = try await Access.verifier(ring).verify(before, now: Access.now) }
        }
    }

    @Test(arguments: [
        (["JWT_ALGORITHM": "EdDSA"], "JWT_KEY_DIR"),
        (["JWT_ALGORITHM": "RS256"], "JWT_ALGORITHM"),
        (["JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": "/nonexistent.pem"], "JWT_PRIVATE_KEY_FILE"),
        (["JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": "/etc/hostname"], "JWT_PRIVATE_KEY_FILE"),
        (["JWT_ALGORITHM": "EdDSA", "JWT_PRIVATE_KEY_FILE": "/a.pem", "JWT_KEY_DIR": "/tmp/k"], "JWT_KEY_DIR"),
        (["JWT_KEY_DIR": "/tmp/k"], "JWT_KEY_DIR"),
        (["JWT_ALGORITHM": "EdDSA", "JWT_KEY_DIR": "/tmp/k", "JWT_KEY_RELOAD_SECONDS": "0"], "JWT_KEY_RELOAD_SECONDS"),
    ])
    func aWrongKeyConfigurationNamesItsVariable(_ environment: [String: String], _ variable: String) {
        var values = environment
        values["ACCESS_SECRET"] = Access.secret
        #expect(throws: ConfigurationError.self) { try SigningKeyConfiguration(environment: EnvironmentReader(values)) }
        do {
            _ = try SigningKeyConfiguration(environment: EnvironmentReader(values))
        } catch {
            #expect(error.variable == variable)
        }
    }

    @Test func aPEMFileGivesOneFixedKey() throws {
        let key = try SigningKey.generate(.es256)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((key.pemRepresentation ?? "").utf8).write(to: URL(fileURLWithPath: path))
        let configuration = try SigningKeyConfiguration(environment: EnvironmentReader(["JWT_ALGORITHM": "ES256", "JWT_PRIVATE_KEY_FILE": path]))
        #expect(try configuration.initialKeySet(now: 0).signing.id == key.id)
        #expect(configuration.publicKeysMaxAge == 3600)
    }
}
