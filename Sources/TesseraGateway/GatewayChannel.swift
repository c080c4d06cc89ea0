import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 connection with the gateway's limits: the header cap, the idle and read timeouts, and `ConnectionGuard`.
///
/// A wrapper rather than `.http1(configuration:)` alone because the guard must also see raw
/// bytes, ahead of the HTTP decoder, where Hummingbird's extra handlers cannot go.
struct GatewayChannel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel

    init(responder: @escaping HTTPChannelHandler.Responder, configuration: GatewayConfiguration) {
        let readTimeout = configuration.readTimeout
        let idle = configuration.idleTimeout.components
        var http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(readTimeout: readTimeout, maxBodyBytes: GatewayConfiguration.maxBodyBytes)],
            idleTimeout: .nanoseconds(idle.seconds * 1_000_000_000 + idle.attoseconds / 1_000_000_000)
        )
        // NIO counts the URI and every header name and value against both limits.
        http.httpDecoder.maxHeaderListSize = configuration.maxHeaderBytes
        http.httpDecoder.maxHeaderFieldSize = configuration.maxHeaderBytes
        http1 = HTTP1Channel(responder: responder, configuration: http)
    }

    /// The server builder `Application` takes.
    static func builder(_ configuration: GatewayConfiguration) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GatewayChannel(responder: responder, configuration: configuration) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(ConnectionGuard.ByteWatcher(), position: .first)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return http1.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
