import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOHTTPTypes
import TesseraCore

/// Answers `/verify` on the event loop that read it when the decision needs no ledger, without the hop to a Swift task and back.
///
/// The common `auth_request` subrequest (a bearer token or cookie whose signature is cached, and
/// an anonymous or unlimited invitation) is decided by `VerifyEndpoint.decideNow`: the same
/// reader, the same `Gatekeeper` policy, the same answer, metrics and log line as through the
/// router. Everything else passes on unchanged to Hummingbird, where `VerifyEndpoint` decides
/// it: a request that needs the ledger, any other path, and any request carrying a `Connection`
/// header (Hummingbird closes after `Connection: close`).
///
/// Answers leave in request order: while a request passed on is unanswered, the ones behind it
/// (pipelined) pass on too. While the channel is not writable (a client that does not read its
/// answers), requests pass on as well, so Hummingbird's back-pressure stops the reading. Sits after `ConnectionGuard`, which so still sees every request and
/// answer.
final class VerifyOnLoop: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let endpoint: VerifyEndpoint
    private let logger: Logger
    /// Requests passed on to Hummingbird whose answers have not been written yet.
    private var passedOn = 0
    /// Whether the parts of the request being read go on to Hummingbird; if not, it is answered, and its body is dropped.
    private var passing = false
    /// The `Date` header, made once a second.
    private var date: (second: Int64, text: String) = (-1, "")

    init(endpoint: VerifyEndpoint, logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // Answered at once, as Hummingbird answers `/verify` before any body: a body (which no decision reads) that
            // never ends must not hold the answer back, and `ConnectionGuard` cuts it off once the answer is out.
            // Only while the channel takes writes: a client that sends and never reads would otherwise have every answer
            // queued in memory, where Hummingbird's path waits on the write and so stops reading.
            if passedOn == 0, context.channel.isWritable, head.headerFields[.connection] == nil, Self.isVerifyPath(head.path),
               let (answer, body) = endpoint.decideNow(Request(head: head, body: .init(buffer: ByteBuffer())), peer: context.channel.remoteAddress, logger: logger) {
                passing = false
                write(answer, body, context: context)
                return
            }
            passing = true
            passedOn += 1
            context.fireChannelRead(data)
        case .body, .end:
            if passing { context.fireChannelRead(data) }
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn = max(0, passedOn - 1) }
        context.write(data, promise: promise)
    }

    private func write(_ head: HTTPResponse, _ body: ByteBuffer?, context: ChannelHandlerContext) {
        var head = head
        let now = Timestamp.now.seconds
        if date.second != now { date = (now, Timestamp(seconds: now).httpDate) }
        head.headerFields.append(HTTPField(name: .date, value: date.text))  // `answer` sets no Date
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// `/verify` and anything below it, as `VerifyEndpoint` takes them (the path without its query).
    static func isVerifyPath(_ target: String?) -> Bool {
        guard let target else { return false }
        let path = target.utf8.firstIndex(of: UInt8(ascii: "?")).map { target[..<$0] } ?? target[...]
        return Gateway.isVerifyPath(path)
    }
}
