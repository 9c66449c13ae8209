#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Bytes from the system's CSPRNG in one call (`arc4random_buf`: glibc 2.36 and later draw them
/// with one `getrandom`), where `SystemRandomNumberGenerator` makes one system call per eight
/// bytes: for seeds (the gateway's correlation ids draw theirs once).
public enum RandomBytes {
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        arc4random_buf(base, buffer.count)
    }
}
