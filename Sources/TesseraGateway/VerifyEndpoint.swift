import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// `ANY /verify` and `ANY /verify/*`: the proxy's subrequest, answered with exactly 200, 401, 403 or 503.
///
/// A middleware rather than a route, so that every method (nginx sends GET, Envoy the
/// original method, WebDAV clients PROPFIND) reaches it: a router would answer 405 or 404,
/// which nginx turns into a 500.
struct VerifyEndpoint: RouterMiddleware {
    typealias Context = GatewayContext

    let gatekeeper: Gatekeeper
    let reader: RequestReader
    /// Ledger outages fail every redeeming request; one line a second says so without flooding the log.
    let outageLog = LogThrottle()

    static let userField = HeaderName("X-Auth-Request-User")!
    static let projectField = HeaderName("X-Tessera-Project")!
    static let roleField = HeaderName("X-Tessera-Role")!
    static let invitationField = HeaderName("X-Tessera-Invitation")!
    static let reasonField = HeaderName("X-Tessera-Reason")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard Gateway.isVerifyPath(path[...]) else {
            return try await next(request, context)
        }
        let started = ContinuousClock.now
        let trusted = reader.needsPeer && reader.isTrusted(context)
        let presentation = reader.presentation(request, trusted: trusted)
        let decision = await gatekeeper.decide(presentation, at: .now)
        gatekeeper.metrics.recordDecision(decision.outcomeIndex, duration: ContinuousClock.now - started)
        log(decision, request: request, logger: context.logger, peer: context.remoteAddress, trusted: trusted)
        let (head, body) = Self.answer(for: decision, headOnly: request.method == .head)
        return Response(status: head.status, headers: head.headerFields, body: body.map { .init(byteBuffer: $0) } ?? .init())
    }

    /// Decides a `/verify` request on the event loop that read it, when no candidate needs the ledger (`VerifyOnLoop`): the answer, or nil to pass the request on.
    func decideNow(_ request: Request, peer: SocketAddress?, logger: Logger) -> (HTTPResponse, ByteBuffer?)? {
        let started = ContinuousClock.now
        let trusted = reader.needsPeer && reader.isTrusted(peer: peer)
        let presentation = reader.presentation(request, trusted: trusted)
        guard case .decided(let decision) = gatekeeper.decideNow(presentation, at: .now) else { return nil }
        gatekeeper.metrics.recordDecision(decision.outcomeIndex, duration: ContinuousClock.now - started)
        log(decision, request: request, logger: logger, peer: peer, trusted: trusted)
        return Self.answer(for: decision, headOnly: request.method == .head)
    }

    /// The answer for a decision: headers only on 200; a one-line text body on refusals for proxies that show it.
    static func answer(for decision: Decision, headOnly: Bool) -> (HTTPResponse, ByteBuffer?) {
        // Fields are appended, not set by name: each `headers[name] = …` searches the fields so far, a visible share of a cached decision.
        var headers: [HTTPField] = [HTTPField(name: .cacheControl, value: "no-store")]
        headers.reserveCapacity(8)
        let status = HTTPResponse.Status(code: decision.httpStatus)
        var text: String?
        switch decision {
        case .granted(let subject, let invitation):
            headers.append(HTTPField(name: userField, value: subject))
            headers.append(HTTPField(name: projectField, value: invitation.project))
            headers.append(HTTPField(name: roleField, value: invitation.role))
            headers.append(HTTPField(name: invitationField, value: invitation.id))
        case .missingToken:
            // RFC 6750 §3: no error code when no credential was presented at all.
            headers.append(HTTPField(name: .wwwAuthenticate, value: "Bearer realm=\"tessera\""))
            headers.append(HTTPField(name: reasonField, value: decision.label))
            text = "denied: missing_token: no bearer token or tessera cookie\n"
        case .denied(let denial):
            if status.code == 401 { headers.append(HTTPField(name: .wwwAuthenticate, value: "Bearer realm=\"tessera\", error=\"invalid_token\"")) }
            headers.append(HTTPField(name: reasonField, value: denial.reason.rawValue))
            text = "denied: \(denial.reason.rawValue): \(denial.detail)\n"
        }
        guard let text, !headOnly else {
            headers.append(HTTPField(name: .contentLength, value: "0"))
            return (HTTPResponse(status: status, headerFields: HTTPFields(headers)), nil)
        }
        headers.append(HTTPField(name: .contentType, value: "text/plain; charset=utf-8"))
        let body = ByteBuffer(string: text)
        headers.append(HTTPField(name: .contentLength, value: String(body.readableBytes)))
        return (HTTPResponse(status: status, headerFields: HTTPFields(headers)), body)
    }

    private func log(_ decision: Decision, request: Request, logger: Logger, peer: SocketAddress?, trusted: Bool) {
        let level: Logger.Level
        switch decision {
        case .granted, .missingToken: level = .debug
        case .denied(let denial): level = denial.reason.httpStatus == 503 ? .error : .info
        }
        // Building metadata costs more than the decision itself on a cache hit; skip it when the line would be dropped.
        guard logger.logLevel <= level else { return }
        var suppressed = 0
        if case .denied(let denial) = decision, denial.reason.httpStatus == 503 {
            let admission = outageLog.admit()
            guard admission.allowed else { return }
            suppressed = admission.suppressed
        }
        // The forwarded method and URI are shown only when believed; look the peer up now if the decision did not.
        let trusted = reader.needsPeer ? trusted : reader.isTrusted(peer: peer)
        var metadata: Logger.Metadata = [
            "decision.reason": .string(decision.label),
            "request.method": .string(reader.originalMethod(request, trusted: trusted)),
            "request.path": .string(String(pathOnly((try? reader.originalURI(request, trusted: trusted).get()) ?? "(forwarded-URI headers disagree)"))),
        ]
        switch decision {
        case .granted(let subject, let invitation):
            metadata["invitation.id"] = .string(invitation.id)
            metadata["subject"] = .string(subject)
            logger.log(level: level, "granted", metadata: metadata)
        case .missingToken:
            logger.log(level: level, "denied", metadata: metadata)
        case .denied(let denial):
            if let id = denial.invitation?.id { metadata["invitation.id"] = .string(id) }
            metadata["decision.detail"] = .string(denial.detail)
            if suppressed > 0 { metadata["log.suppressed"] = .stringConvertible(suppressed) }
            logger.log(level: level, denial.reason.httpStatus == 503 ? "cannot decide" : "denied", metadata: metadata)
        }
    }
}
