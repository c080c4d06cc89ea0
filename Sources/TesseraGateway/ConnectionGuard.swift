import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Bounds what one connection can cost: how long a request may take to arrive, how much body it may send, how long a closing connection lingers, and a 431 for an over-size head.
///
/// Sits after the HTTP decoder, where it sees requests and responses as parts; `ByteWatcher`,
/// at the front of the pipeline, tells it when raw bytes arrive, because a client that trickles
/// a request head produces no part until the head is complete.
///
/// - A request must arrive whole, head and body, within `readTimeout` of its first byte (or of
///   the connection opening), else the connection is closed. The wait between requests on a
///   keep-alive connection is Hummingbird's idle timeout instead.
/// - A response marked `Connection: close` (`/join`'s 413) shuts the connection's output once
///   written and closes it for good after at most `readTimeout`, so a client still sending a
///   refused body reads the answer rather than a reset, and cannot keep the connection open.
/// - An answer may wait at most `readTimeout` on a client that does not read it (the channel
///   stays unwritable), else the connection is closed: Hummingbird stops reading while a
///   write waits, so such a client would otherwise hold its connection for ever.
/// - A body longer than `maxBodyBytes` on any route does the same once its request is
///   answered: no route but `/join` reads a body, and Hummingbird would otherwise read and
///   drop the rest, however long, until the read deadline.
/// - The decoder refuses a head over its limits with `HTTPParserError.headerOverflow`, which
///   Hummingbird answers 400; that answer is sent as 431 Request Header Fields Too Large.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let readTimeout: TimeAmount
    private let maxBodyBytes: Int
    /// When the request still arriving started (or the connection began closing); nil between requests.
    private var started: NIODeadline?
    /// The one pending check of `started`: it closes the connection once `readTimeout` has passed since, else waits
    /// again. One timer per connection rather than one scheduled and cancelled per request, which cost a
    /// visible share of a cached `/verify`.
    private var check: Scheduled<Void>?
    /// This handler's place in the pipeline, for `ByteWatcher`'s calls; set while the handler is in it.
    private var context: ChannelHandlerContext?
    /// The pending disconnection of a client that does not read its answers.
    private var writeDeadline: Scheduled<Void>?
    private var closing = false
    /// Request heads decoded, final response heads written and responses finished so far; answers go out in request order.
    private var requests = 0
    private var responses = 0
    private var answered = 0
    /// Body bytes of the request being read.
    private var bodyBytes = 0
    /// The ordinal of the request whose head was too large: its answer becomes 431.
    private var oversizedRequest: Int?
    private var closeAfterResponse = false

    init(readTimeout: Duration, maxBodyBytes: Int) {
        let parts = readTimeout.components
        self.readTimeout = .nanoseconds(parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000)
        self.maxBodyBytes = maxBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { startReadDeadline(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startReadDeadline(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadlines()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadlines()
        self.context = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writeDeadline?.cancel()
            writeDeadline = nil
        } else if writeDeadline == nil {
            writeDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) { [self] in
                writeDeadline = nil
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    /// Called by `ByteWatcher` whenever the socket delivers bytes, before the HTTP decoder sees them.
    func bytesArrived() {
        // Bytes with no request under way start the next one's clock.
        if started == nil, let context { startReadDeadline(context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            requests += 1
            bodyBytes = 0
            if started == nil { startReadDeadline(context) }
        case .body(let buffer):
            let before = bodyBytes
            bodyBytes += buffer.readableBytes
            if before <= maxBodyBytes, bodyBytes > maxBodyBytes {
                if answered >= requests { shutOutput(context) } else { closeAfterResponse = true }
            }
        case .end:
            // Bytes of a pipelined request read with this one's end wait for the idle timeout, then get a deadline with their next byte.
            if !closing { cancelDeadline() }
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case .headerOverflow? = error as? HTTPParserError, oversizedRequest == nil {
            oversizedRequest = requests + 1
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            responses += 1
            if let connection = response.headerFields[.connection], connection.lowercased().contains("close") {
                closeAfterResponse = true
            }
            if responses == oversizedRequest, response.status == .badRequest {
                response.status = .requestHeaderFieldsTooLarge
                return context.write(wrapOutboundOut(.head(response)), promise: promise)
            }
            context.write(data, promise: promise)
        case .end:
            answered += 1
            context.write(data, promise: promise)
            if closeAfterResponse { shutOutput(context) }
        default:
            context.write(data, promise: promise)
        }
    }

    /// Sends what is written, shuts the output, and closes for good after at most `readTimeout`.
    ///
    /// Output first, so the answer is delivered: the rest of a refused body is read and dropped
    /// until the client closes or time is up.
    private func shutOutput(_ context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        closeAfterResponse = false
        context.flush()
        context.close(mode: .output, promise: nil)
        cancelDeadline()
        startReadDeadline(context)
    }

    private func startReadDeadline(_ context: ChannelHandlerContext) {
        guard started == nil else { return }
        let now = NIODeadline.now()
        started = now
        scheduleCheck(at: now + readTimeout, context)
    }

    /// Makes sure a check runs by `time`. A pending one always runs no later: it was made for a request that started earlier.
    private func scheduleCheck(at time: NIODeadline, _ context: ChannelHandlerContext) {
        guard check == nil else { return }
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) { [self] in
            check = nil
            guard let started else { return }
            let due = started + readTimeout
            if NIODeadline.now() >= due {
                self.started = nil
                context.close(promise: nil)
            } else {
                scheduleCheck(at: due, context)
            }
        }
    }

    private func cancelDeadline() {
        started = nil
    }

    private func cancelDeadlines() {
        started = nil
        check?.cancel()
        check = nil
        writeDeadline?.cancel()
        writeDeadline = nil
    }

    /// Tells the guard further down the pipeline that bytes arrived, before the HTTP decoder sees them.
    ///
    /// A direct call on the same event loop rather than a pipeline event, which every handler in between would pass on.
    final class ByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        private let connectionGuard: ConnectionGuard

        init(_ connectionGuard: ConnectionGuard) {
            self.connectionGuard = connectionGuard
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            connectionGuard.bytesArrived()
            context.fireChannelRead(data)
        }
    }
}
