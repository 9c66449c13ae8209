public import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 GET for the `healthcheck` subcommand: the status code, or `nil`.
public enum HTTPProbe {
    public static func status(host: String, port: Int, path: String, timeout: TimeAmount = .seconds(2)) async -> Int? {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await withThrowingTaskGroup(of: Int?.self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"))
                        var received = ByteBuffer()
                        for try await chunk in inbound {
                            received.writeImmutableBuffer(chunk)
                            if let line = received.getString(at: received.readerIndex, length: min(received.readableBytes, 12)),
                                line.count == 12, line.hasPrefix("HTTP/1.")
                            {
                                return Int(line.dropFirst(9).prefix(3))
                            }
                        }
                        return nil
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
        } catch {
            return nil
        }
    }
}
