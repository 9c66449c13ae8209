#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The asymmetric signing keys of every token instance, in a directory they share
/// (`JWT_KEY_DIR`): one PEM file per key (`<kid>.pem`, mode 0600) and `keys.json`, which says
/// when each key signs and until when its tokens verify.
///
/// A rotation publishes the new key ahead of its activation (twice the instances' reload
/// interval), so every instance, and every outside verifier reading the JWKS, knows it before
/// any token carries it; at its activation time all instances switch together. The previous
/// keys then verify until the last token they signed has expired. Changes are made under an
/// exclusive lock on `.lock`, so two rotations never interleave, and `keys.json` is replaced
/// atomically, so a reader never sees half of it.
///
/// Whoever can write the directory can make the service sign with a key of their own: it must
/// belong to the service's user and be writable by nobody else, `keys.json` and the key files
/// must belong to that user too (a key file readable by nobody else), and no symbolic link is
/// followed into or out of it. Anything else stops the reading with ``KeyDirectoryError/insecure(_:)``.
public struct KeyDirectory: Sendable {
    /// One key's schedule.
    public struct Entry: Codable, Sendable, Hashable {
        public var kid: String
        /// Seconds since 1970.
        public var created: Double
        /// When it starts signing (the newest activated key signs).
        public var activates: Double
        /// When its tokens stop verifying; `nil` while no newer key has replaced it.
        public var verifyUntil: Double?

        enum CodingKeys: String, CodingKey {
            case kid, created, activates
            case verifyUntil = "verify_until"
        }

        func verifies(at now: Double) -> Bool { self.verifyUntil.map { now < $0 } ?? true }
    }

    struct Manifest: Codable {
        var algorithm: SigningAlgorithm
        var keys: [Entry]
    }

    public let path: String
    public let algorithm: SigningAlgorithm

    public init(path: String, algorithm: SigningAlgorithm) {
        self.path = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
        self.algorithm = algorithm
    }

    var manifestPath: String { self.path + "/keys.json" }

    /// The keys in force at `now`; on first start (no `keys.json` yet) a key is made and
    /// activated at once.
    ///
    /// Instances started together on an empty directory race to make that first key, and the
    /// winner stamps it with its own clock, which may be a moment after the others read theirs:
    /// a directory's only key signs from its creation for everyone (nothing else could sign, so
    /// there is no switch for the activation delay to protect).
    public func prepare(now: Double) throws(KeyDirectoryError) -> KeySet {
        try self.makeFirstKey(now: now)
        let entries = try self.entries()
        return try self.keySet(now: entries.count == 1 ? max(now, entries[0].activates) : now)
    }

    /// Makes the directory's first key, signing at once, unless it has keys already.
    public func makeFirstKey(now: Double) throws(KeyDirectoryError) {
        guard !FileManager.default.fileExists(atPath: self.manifestPath) else { return }
        try self.locked { () throws(KeyDirectoryError) in
            guard !FileManager.default.fileExists(atPath: self.manifestPath) else { return }
            let key = try self.newKey()
            try self.save(Manifest(algorithm: self.algorithm, keys: [Entry(kid: key.id, created: now, activates: now, verifyUntil: nil)]))
        }
    }

    /// Every key's schedule, oldest first.
    public func entries() throws(KeyDirectoryError) -> [Entry] {
        try self.readManifest().keys
    }

    /// The keys in force at `now`: the newest activated key signs; every key not past its
    /// `verify_until` verifies (keys still to activate included, so they are known in time).
    public func keySet(now: Double) throws(KeyDirectoryError) -> KeySet {
        let entries = try self.readManifest().keys
        let (signing, verifying) = try Self.schedule(entries, at: now)
        var keys: [SigningKey] = []
        for entry in verifying { keys.append(try self.readKey(entry.kid)) }
        guard let signingKey = keys.first(where: { $0.id == signing.kid }) else { throw .noSigningKey }
        var ends: [String: Double] = [:]
        for entry in verifying { ends[entry.kid] = entry.verifyUntil }
        return KeySet(signing: signingKey, verifying: keys, verifyUntil: ends)
    }

    /// The ids `keySet(now:)` would hold, read from `keys.json` alone (no key file opened): what a
    /// reload compares before it reads any key.
    func fingerprint(now: Double) throws(KeyDirectoryError) -> [String] {
        let (signing, verifying) = try Self.schedule(try self.readManifest().keys, at: now)
        return [signing.kid] + verifying.map(\.kid).sorted()
    }

    static func schedule(_ entries: [Entry], at now: Double) throws(KeyDirectoryError) -> (signing: Entry, verifying: [Entry]) {
        let verifying = entries.filter { $0.verifies(at: now) }
        guard let signing = verifying.filter({ $0.activates <= now }).max(by: { ($0.activates, $0.created) < ($1.activates, $1.created) })
        else { throw .noSigningKey }
        return (signing, verifying)
    }

    /// Makes a new key that starts signing `activationDelay` seconds from `now`; every key
    /// without an end gets one: `verificationWindow` seconds after the new key's activation (the
    /// longest an access token lives, with leeway). Keys whose window has passed are deleted.
    @discardableResult
    public func rotate(now: Double, activationDelay: Double, verificationWindow: Double) throws(KeyDirectoryError) -> Entry {
        try self.locked { () throws(KeyDirectoryError) -> Entry in
            var manifest = try self.readManifest()
            let key = try self.newKey()
            // With no key signing now (the only pending one was retired, say) there is no switch
            // for the delay to protect: the new key signs at once.
            let signsNow = (try? Self.schedule(manifest.keys, at: now)) != nil
            let entry = Entry(kid: key.id, created: now, activates: signsNow ? now + activationDelay : now, verifyUntil: nil)
            for index in manifest.keys.indices where manifest.keys[index].verifyUntil == nil {
                manifest.keys[index].verifyUntil = entry.activates + verificationWindow
            }
            let expired = manifest.keys.filter { !$0.verifies(at: now) }
            manifest.keys.removeAll { !$0.verifies(at: now) }
            manifest.keys.append(entry)
            try self.save(manifest)
            for old in expired { unlink(self.keyPath(old.kid)) }
            return entry
        }
    }

    /// Ends a key's verification now (a key that may have leaked): its tokens are refused from
    /// every instance's next reload, and it leaves the JWKS. The key that signs now cannot be
    /// retired until a newer one has activated.
    public func retire(kid: String, now: Double) throws(KeyDirectoryError) {
        try self.locked { () throws(KeyDirectoryError) in
            var manifest = try self.readManifest()
            guard let index = manifest.keys.firstIndex(where: { $0.kid == kid && $0.verifies(at: now) }) else { throw .unknownKey(kid) }
            var retired = manifest.keys
            retired[index].verifyUntil = now
            do {
                _ = try Self.schedule(retired, at: now)
            } catch {
                throw .wouldLeaveNoSigningKey(kid)
            }
            if (try? Self.schedule(manifest.keys, at: now).signing.kid) == kid { throw .wouldLeaveNoSigningKey(kid) }
            // A key retired before it activated leaves the key it was to replace as the newest:
            // its end, set by that rotation, goes, or nothing would sign once it passed.
            let remaining = retired.indices.filter { retired[$0].verifies(at: now) }
            if let newest = remaining.max(by: { (retired[$0].activates, retired[$0].created) < (retired[$1].activates, retired[$1].created) }),
                retired[index].activates > retired[newest].activates
            {
                retired[newest].verifyUntil = nil
            }
            manifest.keys = retired
            try self.save(manifest)
        }
    }

    // MARK: Files

    func keyPath(_ kid: String) -> String { "\(self.path)/\(kid).pem" }

    private func readManifest() throws(KeyDirectoryError) -> Manifest {
        let data = try self.withDirectory { directory throws(KeyDirectoryError) in
            try Self.readFile("keys.json", in: directory, path: self.manifestPath, privateToOwner: false)
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(data))
        } catch {
            throw .unreadable("\(self.manifestPath): not a key manifest")
        }
        guard manifest.algorithm == self.algorithm else { throw .algorithmMismatch(found: manifest.algorithm, configured: self.algorithm) }
        return manifest
    }

    private func readKey(_ kid: String) throws(KeyDirectoryError) -> SigningKey {
        guard Self.isKeyID(kid) else { throw .unreadable("\(self.keyPath(kid)): cannot be read") }
        let bytes = try self.withDirectory { directory throws(KeyDirectoryError) in
            try Self.readFile("\(kid).pem", in: directory, path: self.keyPath(kid), privateToOwner: true)
        }
        let key: SigningKey
        do {
            key = try SigningKey(pem: String(decoding: bytes, as: UTF8.self), algorithm: self.algorithm)
        } catch {
            throw .unreadable("\(self.keyPath(kid)): not a \(self.algorithm.rawValue) private key")
        }
        guard key.id == kid else { throw .unreadable("\(self.keyPath(kid)): holds another key than its name says") }
        return key
    }

    /// Opens the directory itself (never through a symbolic link), checks the open directory,
    /// and runs `body` with it: every file is then opened relative to that handle (`openat`), so
    /// the directory checked is the directory read, whatever happens to its path meanwhile.
    func withDirectory<T>(_ body: (Int32) throws(KeyDirectoryError) -> T) throws(KeyDirectoryError) -> T {
        let directory = open(self.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else {
            if errno == ELOOP || errno == ENOTDIR { throw .insecure("\(self.path): not a directory (a symbolic link is not followed)") }
            throw .unreadable("\(self.path): \(String(cString: strerror(errno)))")
        }
        defer { close(directory) }
        var status = stat()
        guard fstat(directory, &status) == 0 else { throw .unreadable("\(self.path): \(String(cString: strerror(errno)))") }
        try Self.checkOwner(status, self.path, forbidden: 0o022)
        return try body(directory)
    }

    /// Refuses a directory that is not a directory of this process's user, writable by it alone.
    func checkDirectory() throws(KeyDirectoryError) {
        try self.withDirectory { _ throws(KeyDirectoryError) in }
    }

    /// Reads `name` in the open `directory`: never through a symbolic link, only a regular file of
    /// this process's user that nobody else may write (nor read, for a private key).
    static func readFile(_ name: String, in directory: Int32, path: String, privateToOwner: Bool) throws(KeyDirectoryError) -> [UInt8] {
        // O_NONBLOCK: a FIFO put in the key file's place is refused below instead of hanging the open.
        let descriptor = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ELOOP { throw .insecure("\(path): a symbolic link (not followed)") }
            throw .unreadable("\(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable("\(path): \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .insecure("\(path): not a regular file") }
        try Self.checkOwner(status, path, forbidden: privateToOwner ? 0o077 : 0o022)
        // Key files and keys.json are a few hundred bytes; anything far larger is not ours.
        guard status.st_size <= 1 << 20 else { throw .unreadable("\(path): larger than a key directory's file") }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + total, $0.count - total) }
            guard count > 0 else { break }
            total += count
        }
        return Array(bytes[..<total])
    }

    private static func checkOwner(_ status: stat, _ path: String, forbidden: mode_t) throws(KeyDirectoryError) {
        guard status.st_uid == geteuid() else {
            throw .insecure("\(path): owned by uid \(status.st_uid), not by this process's user (uid \(geteuid()))")
        }
        guard status.st_mode & forbidden == 0 else {
            throw .insecure(
                "\(path): mode \(String(status.st_mode & 0o777, radix: 8)) lets others \(forbidden == 0o077 ? "read or write it" : "write it")"
            )
        }
    }

    /// A key id as the directory names files: base64url only, so it cannot leave the directory.
    static func isKeyID(_ kid: String) -> Bool {
        !kid.isEmpty && kid.utf8.count <= 64
            && kid.utf8.allSatisfy { $0.isLetterOrDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    /// Makes a key and writes its file, readable by its owner only.
    private func newKey() throws(KeyDirectoryError) -> SigningKey {
        let key: SigningKey
        do {
            key = try SigningKey.generate(self.algorithm)
        } catch {
            throw .unreadable("\(self.algorithm.rawValue) keys cannot be generated")
        }
        let path = self.keyPath(key.id)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unwritable("\(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        let bytes = Array((key.pemRepresentation ?? "").utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw .unwritable("\(path): \(String(cString: strerror(errno)))") }
        return key
    }

    /// Replaces `keys.json` atomically: a new file of mode 0644 whatever the umask (a umask of
    /// 002 would otherwise make it group-writable, which the reading refuses), then a rename.
    private func save(_ manifest: Manifest) throws(KeyDirectoryError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: [UInt8]
        do {
            bytes = Array(try encoder.encode(manifest))
        } catch {
            throw .unwritable("\(self.manifestPath): \(error)")
        }
        let temporary = self.path + "/.keys.json.\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .unwritable("\(temporary): \(String(cString: strerror(errno)))") }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = written == bytes.count && fchmod(descriptor, 0o644) == 0 && fsync(descriptor) == 0
        let reason = String(cString: strerror(errno))
        close(descriptor)
        guard synced, rename(temporary, self.manifestPath) == 0 else {
            unlink(temporary)
            throw .unwritable("\(self.manifestPath): \(reason)")
        }
    }

    /// Runs `body` holding the directory's lock (made, with the directory, when missing).
    private func locked<T>(_ body: () throws(KeyDirectoryError) -> T) throws(KeyDirectoryError) -> T {
        if !FileManager.default.fileExists(atPath: self.path) {
            do {
                try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .unwritable("\(self.path): \(error)")
            }
        }
        try self.checkDirectory()
        let descriptor = open(self.path + "/.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unwritable("\(self.path)/.lock: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw .unwritable("\(self.path)/.lock: \(String(cString: strerror(errno)))") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// What went wrong with the key directory; each says which file.
public enum KeyDirectoryError: Error, Sendable, Hashable, CustomStringConvertible {
    case unreadable(String)
    case unwritable(String)
    case algorithmMismatch(found: SigningAlgorithm, configured: SigningAlgorithm)
    /// No key is active now (a directory edited by hand, or all retired).
    case noSigningKey
    case unknownKey(String)
    case wouldLeaveNoSigningKey(String)
    /// The directory or a file in it could be changed by someone other than the service's user,
    /// or is a symbolic link.
    case insecure(String)

    public var description: String {
        switch self {
        case .unreadable(let reason), .unwritable(let reason), .insecure(let reason): reason
        case .algorithmMismatch(let found, let configured):
            "the key directory holds \(found.rawValue) keys, JWT_ALGORITHM is \(configured.rawValue)"
        case .noSigningKey: "no key in the directory signs now"
        case .unknownKey(let kid): "no key \(kid) verifies now"
        case .wouldLeaveNoSigningKey(let kid): "\(kid) signs now: rotate first and retire it once the new key has activated"
        }
    }
}

extension UInt8 {
    fileprivate var isLetterOrDigit: Bool {
        (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || (0x30...0x39).contains(self)
    }
}
