import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the TCP peer, which decides whether forwarded headers are believed.
public struct GatewayContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's own per-request storage (logger, parameters).
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    private let channel: any Channel

    /// The peer that opened the connection (the proxy), or nil when unknown (in-process tests): then nothing forwarded is trusted.
    ///
    /// Read only when a decision needs it: most requests behind a proxy never ask.
    public var remoteAddress: SocketAddress? { channel.remoteAddress }

    /// The context of a request on `source`'s connection.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The largest `/join` form body read: a token is at most 8 KiB.
    public var maxUploadSize: Int { GatewayConfiguration.maxBodyBytes }
}
