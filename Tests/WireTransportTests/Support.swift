import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { self.count.add(1, ordering: .relaxed) }
    var value: Int { self.count.load(ordering: .relaxed) }
}

/// `st_mode` of `path` (type and permission bits), or `nil` when it does not exist.
func fileMode(_ path: String) -> UInt32? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return UInt32(info.st_mode)
}
