#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A fresh directory under /tmp for sockets and data of one test.
///
/// Under /tmp rather than the build folder because a Unix socket path must fit in 108 bytes.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "auth-test") {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!) }
        precondition(made != nil, "mkdtemp failed: \(errno)")
        self.path = String(cString: template)
    }

    /// A path inside the directory.
    public func appending(_ name: String) -> String { self.path + "/" + name }

    /// Removes the directory and everything in it.
    public func remove() {
        _ = system("rm -rf '\(self.path)'")
    }
}
