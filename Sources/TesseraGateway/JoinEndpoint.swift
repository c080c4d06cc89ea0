import Hummingbird
import Logging
import NIOCore
import TesseraCore

/// `POST /join` (form field `token`) redeems, sets the cookies and sends the browser on with 303; `GET /join` only shows a Join button.
///
/// A fetch of a URL never consumes a use: link scanners and chat previews GET, and a GET
/// only answers a page whose button POSTs. A POST is accepted only from the gateway's own
/// origin or an allowed one (`base_url`'s, where the link pages live, and `--join-origin`),
/// so no other site can join a visitor to an invitation of its choosing (login CSRF).
struct JoinEndpoint: Sendable {
    let gatekeeper: Gatekeeper
    let reader: RequestReader

    var configuration: GatewayConfiguration { reader.configuration }

    /// `GET /join` and `GET /join?token=…`: a page with a Join button that POSTs; nothing is redeemed.
    @Sendable func get(_ request: Request, context: GatewayContext) async -> Response {
        let token = request.uri.query.flatMap { FormFields.value(named: "token", in: $0) }.flatMap { $0.isEmpty ? nil : $0 }
        gatekeeper.metrics.recordJoin("confirm_page")
        // Only a token whose signature checks out has its project and role shown; nothing is redeemed or recorded.
        let invitation = token.flatMap { try? gatekeeper.verify(Array($0.trimmingSpaces.utf8), with: gatekeeper.store.snapshot).invitation }
        return respond(status: 200, html: JoinPage.confirmation(token: token, project: invitation?.project, role: invitation?.role),
                       formAction: true, outcome: "confirm_page")
    }

    /// `POST /join` with an `application/x-www-form-urlencoded` body, as the link page's Join button sends it.
    @Sendable func post(_ request: Request, context: GatewayContext) async -> Response {
        let trusted = reader.isTrusted(context)
        // Refused before the body is read: a forged POST consumes nothing.
        let from = reader.postedFrom(request)
        guard let from, from == reader.ownOrigin(request, trusted: trusted) || configuration.joinOrigins.contains(from) else {
            context.logger.info("join refused", metadata: ["decision.reason": "foreign_origin", "request.origin": .string(from ?? "none")])
            return page(.foreignOrigin(from), request: request, context: context, outcome: "foreign_origin")
        }
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
        return await join(token, request: request, context: context, trusted: trusted)
    }

    private func join(_ token: String, request: Request, context: GatewayContext, trusted: Bool) async -> Response {
        let secure = reader.secureCookies(request, trusted: trusted)
        var subject = reader.subject(request, trusted: trusted, secure: secure)
        // A browser without an anonymous secret gets one now; it is kept only if the invitation admits it anonymously.
        var newSecret: String?
        if subject == nil {
            let secret = AnonymousMember.newSecret()
            newSecret = secret
            subject = AnonymousMember.subject(forSecret: secret).map(Presentation.Subject.anonymous)
        }
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

        let invitation = grant.invitation
        let maxAge = invitation.expiresAt.map { min(Cookie.maximumAge, max(1, $0.seconds - now.seconds)) } ?? Cookie.maximumAge
        let path = configuration.projectFromPath?.cookiePath(for: invitation.project) ?? "/"
        var headers = HTTPFields()
        headers[.location] = Self.redirect(configuration.redirect, invitation: invitation)
        headers[HeaderName("Referrer-Policy")!] = "no-referrer"
        headers.append(HeaderField(name: .setCookie, value: Cookie.setCookie(
            name: reader.tokenCookieName(path: path, secure: secure), value: String(token.trimmingSpaces), path: path, maxAge: maxAge, secure: secure)))
        if let newSecret, subject == .anonymous(grant.subject) {
            // The secret is who this browser is from now on, across invitations: it outlives any one token.
            headers.append(HeaderField(name: .setCookie, value: Cookie.setCookie(
                name: reader.anonymousCookieName(secure: secure), value: newSecret, path: "/", maxAge: Cookie.maximumAge, secure: secure)))
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
        var response = respond(status: page.status, html: page.html, formAction: false, outcome: outcome)
        // The rest of an over-size body is not worth reading: `ConnectionGuard` closes the connection once this is sent.
        // So is the body of a forged POST, refused before it was read.
        if page.status == 413 || outcome == "foreign_origin" { response.headers[.connection] = "close" }
        return response
    }

    /// A self-contained HTML answer that no other site may frame; only the confirmation page may submit a form (to this origin).
    private func respond(status: Int, html: String, formAction: Bool, outcome: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HeaderName("Content-Security-Policy")!] = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'; form-action \(formAction ? "'self'" : "'none'")"
        headers[HeaderName("X-Frame-Options")!] = "DENY"
        // `same-origin` on the confirmation page: with `no-referrer` a browser sends `Origin: null` even on a same-origin POST.
        headers[HeaderName("Referrer-Policy")!] = formAction ? "same-origin" : "no-referrer"
        headers[HeaderName("X-Robots-Tag")!] = "noindex"
        headers[VerifyEndpoint.reasonField] = outcome
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
