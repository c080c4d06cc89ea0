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
    /// Decides `/verify` on the event loop where it can (`VerifyOnLoop`); nil in tests of the plain router.
    let verifyOnLoop: (endpoint: VerifyEndpoint, logger: Logger)?

    init(responder: @escaping HTTPChannelHandler.Responder, configuration: GatewayConfiguration, verifyOnLoop: (endpoint: VerifyEndpoint, logger: Logger)?) {
        self.verifyOnLoop = verifyOnLoop
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
    static func builder(_ configuration: GatewayConfiguration, verifyOnLoop: (endpoint: VerifyEndpoint, logger: Logger)?) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in GatewayChannel(responder: responder, configuration: configuration, verifyOnLoop: verifyOnLoop) }
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { [verifyOnLoop] value in
            let operations = channel.pipeline.syncOperations
            // Ahead of the HTTP decoder: it tells the guard of bytes that make no request part yet (a head still trickling in).
            try operations.addHandler(ConnectionGuard.ByteWatcher(operations.handler(type: ConnectionGuard.self)), position: .first)
            if let verifyOnLoop {
                // After Hummingbird's connection state, which then sees every request and answer (idle timeout, graceful close).
                let state = try operations.handler(type: HTTPConnectionStateHandler.self)
                try operations.addHandler(VerifyOnLoop(endpoint: verifyOnLoop.endpoint, logger: verifyOnLoop.logger), position: .after(state))
            }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}
