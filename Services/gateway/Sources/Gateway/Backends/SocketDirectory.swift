import WireTransport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the instances of a scaled service: every `*.sock` file in one directory.
enum SocketDirectory {
    static func sockets(in directory: String) -> [WireEndpointAddress] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var paths: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".sock"), entry.pointee.d_type == UInt8(DT_SOCK) else { continue }
            paths.append(directory.hasSuffix("/") ? directory + name : directory + "/" + name)
        }
        return paths.sorted().map { WireEndpointAddress.unix(path: $0) }
    }
}
