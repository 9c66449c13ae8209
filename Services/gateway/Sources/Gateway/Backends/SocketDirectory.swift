import WireTransport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the instances of a scaled service: every `*.sock` socket in one directory that belongs
/// to an allowed user (a socket another user placed there is not followed).
enum SocketDirectory {
    static func sockets(in directory: String, ownedBy owners: Set<UInt32>) -> [WireEndpointAddress] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var paths: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasSuffix(".sock"), entry.pointee.d_type == UInt8(DT_SOCK) else { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            guard let owner = PeerCredentials.owner(ofFile: path), owners.contains(owner) else { continue }
            paths.append(path)
        }
        return paths.sorted().map { WireEndpointAddress.unix(path: $0) }
    }
}
