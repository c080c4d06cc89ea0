import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// `GET /join?token=…` and `POST /join` (form field `token`): redeem, set the cookies, and send the browser on with 303.
struct JoinEndpoint: Sendable {
    let gatekeeper: Gatekeeper
    let reader: RequestReader

    var configuration: GatewayConfiguration { reader.configuration }

    /// `GET /join?token=…`, for links that carry the token in the URL.
    @Sendable func get(_ request: Request, context: GatewayContext) async -> Response {
        guard let query = request.uri.query, let token = FormFields.value(named: "token", in: query), !token.isEmpty else {
            return page(.missingToken, request: request, context: context, outcome: "missing_token")
        }
        return await join(token, request: request, context: context)
    }

    /// `POST /join` with an `application/x-www-form-urlencoded` body, as the link page's Join button sends it.
    @Sendable func post(_ request: Request, context: GatewayContext) async -> Response {
        var request = request
        // A declared length over the cap is refused before reading; a chunked body is read only up to it.
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > context.maxUploadSize {
            return page(.tooLarge, request: request, context: context, outcome: "too_large")
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: context.maxUploadSize)
        } catch is NIOTooManyBytesError {
            return page(.tooLarge, request: request, context: context, outcome: "too_large")
        } catch {
            return page(.unreadableForm, request: request, context: context, outcome: "unreadable_form")
        }
        let text = String(buffer: body)
        guard let token = FormFields.value(named: "token", in: text.trimmingSpaces), !token.isEmpty else {
            return page(.missingToken, request: request, context: context, outcome: "missing_token")
        }
        return await join(token, request: request, context: context)
    }

    private func join(_ token: String, request: Request, context: GatewayContext) async -> Response {
        let trusted = reader.isTrusted(context)
        let subject = reader.subject(request, trusted: trusted)
        let now = Timestamp.now
        let grant: Admission.Grant
        switch await gatekeeper.join(Array(token.trimmingSpaces.utf8), subject: subject, at: now) {
        case .failure(let denial):
            var metadata: Logger.Metadata = ["decision.reason": .string(denial.reason.rawValue), "decision.detail": .string(denial.detail)]
            if let id = denial.invitation?.id { metadata["invitation.id"] = .string(id) }
            context.logger.info("join refused", metadata: metadata)
            return page(JoinPage(denial: denial), request: request, context: context, outcome: denial.reason.rawValue)
        case .success(let granted):
            grant = granted
        }
        gatekeeper.metrics.recordJoin("joined")
        context.logger.notice("joined", metadata: [
            "invitation.id": .string(grant.invitation.id), "subject": .string(grant.subject),
            "project": .string(grant.invitation.project), "first_use": .stringConvertible(grant.isFirstUse),
        ])

        let secure = switch configuration.cookieSecurity {
        case .always: true
        case .never: false
        case .auto: reader.isHTTPS(request, trusted: trusted)
        }
        let invitation = grant.invitation
        let maxAge = invitation.expiresAt.map { min(Cookie.maximumAge, max(1, $0.seconds - now.seconds)) } ?? Cookie.maximumAge
        let path = configuration.projectFromPath?.cookiePath(for: invitation.project) ?? "/"
        var headers = HTTPFields()
        headers[.location] = Self.redirect(configuration.redirect, invitation: invitation)
        headers[HeaderName("Referrer-Policy")!] = "no-referrer"
        headers.append(HeaderField(name: .setCookie, value: Cookie.setCookie(
            name: configuration.tokenCookie, value: String(token.trimmingSpaces), path: path, maxAge: maxAge, secure: secure)))
        if grant.subject.hasPrefix(Admission.anonymousPrefix), subject != .anonymous(grant.subject) {
            // The anonymous subject is who this browser is from now on, across invitations: it outlives any one token.
            headers.append(HeaderField(name: .setCookie, value: Cookie.setCookie(
                name: configuration.anonymousCookie, value: grant.subject, path: "/", maxAge: Cookie.maximumAge, secure: secure)))
        }
        headers[.contentLength] = "0"
        return Response(status: .seeOther, headers: headers)
    }

    /// The redirect template with `{project}` and `{jti}` filled in (both are URL-safe by construction).
    static func redirect(_ template: String, invitation: Invitation) -> String {
        template.replacing("{project}", with: invitation.project).replacing("{jti}", with: invitation.id)
    }

    private func page(_ page: JoinPage, request: Request, context: GatewayContext, outcome: String) -> Response {
        gatekeeper.metrics.recordJoin(outcome)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HeaderName("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
        headers[HeaderName("Referrer-Policy")!] = "no-referrer"
        headers[HeaderName("X-Robots-Tag")!] = "noindex"
        headers[VerifyEndpoint.reasonField] = outcome
        // The rest of an over-size body is not worth reading: `ConnectionGuard` closes the connection once this is sent.
        if page.status == 413 { headers[.connection] = "close" }
        return Response(status: HTTPResponse.Status(code: page.status), headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: page.html)))
    }
}
