import Hummingbird
import NIOCore

/// The per-request context: Hummingbird's core storage plus the TCP peer, which decides whether forwarded headers are believed.
public struct GatewayContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer that opened the connection (the proxy), or nil when unknown (in-process tests): then nothing forwarded is trusted.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The largest `/join` form body read: a token is at most 8 KiB.
    public var maxUploadSize: Int { 16 << 10 }
}
