public import Logging
public import ServiceLifecycle

/// Keeps a ``KeyRing`` in step with its ``KeyDirectory``: every reload interval it reads
/// `keys.json` and, when the keys in force have changed (a rotation, a retirement, a key
/// reaching its activation or the end of its window), reads the keys and installs them. No
/// restart, no session dropped. A directory that cannot be read leaves the ring as it was, but
/// for keys whose end has passed.
public struct KeyRingRefresher: Service {
    let ring: KeyRing
    let directory: KeyDirectory
    let interval: Duration
    let logger: Logger
    let now: @Sendable () -> Double

    public init(ring: KeyRing, directory: KeyDirectory, interval: Duration, logger: Logger, now: @escaping @Sendable () -> Double) {
        self.ring = ring
        self.directory = directory
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
            guard !Task.isCancelled && !Task.isShuttingDownGracefully else { return }
            await self.reload()
        }
    }

    /// One pass; whether the ring changed.
    @discardableResult
    public func reload() async -> Bool {
        let now = self.now()
        do {
            guard try self.directory.fingerprint(now: now) != self.ring.keySet.fingerprint else { return false }
            let keys = try self.directory.keySet(now: now)
            await self.ring.install(keys)
            self.logger.notice(
                "signing keys changed",
                metadata: ["signing_kid": "\(keys.signing.id)", "verifying": "\(keys.verifying.map(\.id).joined(separator: ","))"]
            )
            return true
        } catch {
            // Keys past their end go even so, by keys.json when it can still be read (a key file
            // that cannot): a retired key must not verify for as long as the directory is broken.
            guard let trimmed = self.ring.keySet.droppingEnded(at: now, schedule: try? self.directory.entries()) else {
                self.logger.error("key directory not read: the current keys stay", metadata: ["error": "\(error.description)"])
                return false
            }
            await self.ring.install(trimmed)
            self.logger.error(
                "key directory not read: keys past their end dropped, the others stay",
                metadata: ["error": "\(error.description)", "verifying": "\(trimmed.verifying.map(\.id).joined(separator: ","))"]
            )
            return true
        }
    }
}
