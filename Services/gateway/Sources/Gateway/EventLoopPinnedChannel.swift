import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import WireTransport

/// An HTTP connection whose whole life, request handlers included, runs on the event loop that
/// reads its socket.
///
/// Hummingbird serves each connection in a task on the global executor: every request then
/// hops from the loop to that task and back, and once more per backend answer. Preferring the
/// connection's own loop (``WireTransport/EventLoopExecutor``), with backend connections kept
/// per loop (``WireTransport/BackendPool``), lets a request be read, sent to the backends,
/// answered and written without leaving its thread. Only non-blocking work runs in the gateway.
struct EventLoopPinnedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        self.base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopExecutor(value.channel.eventLoop)) {
            await self.base.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with each connection served on its own event loop (``EventLoopPinnedChannel``).
    static func pinnedHTTP1(configuration: HTTP1Channel.Configuration) -> HTTPServerBuilder {
        .init { responder in
            EventLoopPinnedChannel(base: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}
