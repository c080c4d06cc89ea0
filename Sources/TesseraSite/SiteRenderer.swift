import Crypto
import Mustache
import TesseraCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Renders the pages of `out/` and invitation emails from Mustache templates: the built-in ones, or a site's `templates/` overrides.
public struct SiteRenderer: Sendable {
    /// The site's settings (base URL, join URL…).
    public let settings: Settings
    private let library: MustacheLibrary

    /// Why the templates could not be loaded.
    public struct TemplateError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The template names a site may override with `templates/<name>.mustache`.
    public static let templateNames = DefaultTemplates.all.keys.sorted()

    public init(settings: Settings, templatesFolder: String? = nil) throws(TemplateError) {
        self.settings = settings
        _ = HTMLEscaping.registered
        var library = MustacheLibrary()
        do {
            for (name, text) in DefaultTemplates.all {
                var chosen = text
                if let folder = templatesFolder {
                    let path = FileSystem.join(folder, name + ".mustache")
                    if let bytes = try FileSystem.readIfPresent(path, limit: 1 << 20) {
                        guard let override = String(validating: bytes, as: UTF8.self) else {
                            throw TemplateError(description: "\(path): not valid UTF-8")
                        }
                        chosen = override
                    }
                }
                do {
                    try library.register(chosen, named: name)
                } catch {
                    throw TemplateError(description: "template \(name): \(error)")
                }
            }
            if let folder = templatesFolder, FileSystem.isDirectory(folder) {
                let known = Set(DefaultTemplates.all.keys.map { $0 + ".mustache" })
                for file in try FileSystem.contents(ofDirectory: folder) where file.hasSuffix(".mustache") && !known.contains(file) {
                    throw TemplateError(description: "\(FileSystem.join(folder, file)): unknown template; known: \(Self.templateNames.joined(separator: ", "))")
                }
            }
        } catch let error as TemplateError {
            throw error
        } catch {
            throw TemplateError(description: String(describing: error))
        }
        self.library = library
    }

    /// The public address of an invitation's page, when `base_url` is set, with `{project}` and `{jti}` filled in.
    ///
    /// Every URL written anywhere (page, QR code, `--json`, email, CSP) comes from here or from
    /// `joinURL(for:)`, so none of them carries a placeholder raw.
    public func pageURL(for invitation: Invitation) -> String? {
        guard let base = settings.baseURL else { return nil }
        var filled = Self.fill(base, project: invitation.project, id: invitation.id)
        if !filled.hasSuffix("/") { filled += "/" }
        return filled + "i/" + invitation.id + "/"
    }

    /// The page address from an id alone: nil when `base_url` has a `{project}` this cannot fill.
    public func pageURL(for id: String) -> String? {
        guard let base = settings.baseURL, !base.contains("{project}") else { return nil }
        var filled = Self.fill(base, project: "", id: id)
        if !filled.hasSuffix("/") { filled += "/" }
        return filled + "i/" + id + "/"
    }

    /// The public address of an invitation's short link page, `<base_url>s/<code>/`, when `base_url` is set,
    /// with `{project}` and `{jti}` filled in as in `pageURL(for:)`.
    public func shortURL(for code: String, invitation: Invitation) -> String? {
        guard let base = settings.baseURL else { return nil }
        var filled = Self.fill(base, project: invitation.project, id: invitation.id)
        if !filled.hasSuffix("/") { filled += "/" }
        return filled + "s/" + code + "/"
    }

    /// The short link's address from the code alone: nil when `base_url` has a placeholder this cannot fill.
    public func shortURL(for code: String) -> String? {
        guard var base = settings.baseURL, !base.contains("{project}"), !base.contains("{jti}") else { return nil }
        if !base.hasSuffix("/") { base += "/" }
        return base + "s/" + code + "/"
    }

    /// A short link as people type it: no `https://`, no trailing slash.
    public static func typedLink(_ url: String) -> String {
        var text = url.hasPrefix("https://") ? String(url.dropFirst(8)) : url
        if text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// The join endpoint for an invitation, with `{project}` and `{jti}` filled in (both are URL-safe names).
    public func joinURL(for invitation: Invitation) -> String? {
        settings.joinURL.map { Self.fill($0, project: invitation.project, id: invitation.id) }
    }

    private static func fill(_ template: String, project: String, id: String) -> String {
        template.replacingOccurrences(of: "{project}", with: project).replacingOccurrences(of: "{jti}", with: id)
    }

    /// The link page of a valid invitation, with the token in the Join form and the QR code inline.
    public func invitationPage(_ invitation: Invitation, token: String, qr: QRCode?) -> String {
        invitationPage(invitation, token: token, qrSVG: qr.map(Self.qrSVG))
    }

    /// The same page with the QR code's SVG (`qrSVG(_:)`) already drawn, so that `qr.svg` can reuse it.
    ///
    /// With a `shortCode`, the page shows the short link, and prints it as the link to type.
    public func invitationPage(_ invitation: Invitation, token: String, qrSVG svg: String?, shortCode: String? = nil) -> String {
        var context = Self.describe(invitation)
        context["token"] = token
        let join = joinURL(for: invitation)
        context["joinURL"] = join
        context["pageURL"] = pageURL(for: invitation)
        if let short = shortCode.flatMap({ shortURL(for: $0, invitation: invitation) }) {
            context["shortURL"] = short
            context["shortLink"] = Self.typedLink(short)
        }
        context["printLink"] = context["shortLink"] ?? context["pageURL"]
        if let svg {
            context["qrSVG"] = svg.hasPrefix("<svg ") ? "<svg class=\"qr\" " + svg.dropFirst(5) : svg
        }
        return render("invitation", context, joinURL: join)
    }

    /// The QR code drawn as the page and `qr.svg` show it.
    public static func qrSVG(_ qr: QRCode) -> String {
        qr.svg(moduleSize: 8, border: 4, title: "QR code of this invitation's link")
    }

    /// The page of a short link, `out/s/<code>/index.html`: a meta refresh and a plain link to the
    /// invitation's page, no script, nothing about the invitation (and never its token).
    public func shortPage(pageURL: String) -> String {
        render("short", ["pageURL": pageURL], joinURL: nil)
    }

    /// The slide of a valid invitation, when it has a page address to put in its QR code.
    public func slide(_ invitation: Invitation, shortCode: String?) -> Slide? {
        guard let page = pageURL(for: invitation) else { return nil }
        return Slide(Slide.Content(
            project: invitation.project, label: invitation.label, pageURL: page,
            shortURL: shortCode.flatMap { shortURL(for: $0, invitation: invitation) }, expires: invitation.expiresAt.map(Self.humanTime)))
    }

    /// The page of an invitation that expired or was revoked: no token, no form, no QR code.
    public func invalidPage(_ invitation: Invitation, reason: String) -> String {
        var context = Self.describe(invitation)
        context["reason"] = reason
        return render("invalid", context, joinURL: nil)
    }

    /// `out/index.html`: a neutral page that lists nothing.
    public func indexPage() -> String { render("index", [:], joinURL: nil) }

    /// `out/i/index.html`: empty, so a host that lists folders shows nothing.
    public func listingPage() -> String { render("listing", [:], joinURL: nil) }

    /// The plain-text and HTML bodies of an invitation email.
    public func emailBodies(_ invitation: Invitation) -> (text: String, html: String) {
        var context = Self.describe(invitation)
        context["link"] = pageURL(for: invitation)
        let html = render("email-html", context, joinURL: nil)
        // Plain text has no <bdi>: text with a direction control goes inside an isolate (FSI … PDI) instead.
        for key in ["label", "audienceText"] {
            if let text = context[key] as? String { context[key] = InvitationEmail.isolated(text) }
        }
        return (render("email-text", context, joinURL: nil), html)
    }

    /// Renders a template; its CSP allows posting to `joinURL` (this invitation's, placeholders filled) or nowhere.
    private func render(_ name: String, _ context: [String: Any], joinURL: String?) -> String {
        var context = context
        context["csp"] = Self.policy(joinURL: joinURL)
        context["style"] = DefaultTemplates.style
        context["script"] = DefaultTemplates.copyScript
        return library.render(context, withTemplate: name) ?? ""
    }

    /// What templates may show of an invitation; all of it is escaped on output.
    static func describe(_ invitation: Invitation) -> [String: Any] {
        var context: [String: Any] = [
            "id": invitation.id,
            "project": invitation.project,
            "role": invitation.role,
        ]
        context["label"] = invitation.label
        if let exp = invitation.expiresAt {
            context["expires"] = humanTime(exp)
            context["expiresISO"] = exp.rfc3339
        }
        if let nbf = invitation.notBefore {
            context["notBefore"] = humanTime(nbf)
            context["notBeforeISO"] = nbf.rfc3339
        }
        if let subject = invitation.subject {
            context["audienceText"] = subject
        } else if let domain = invitation.domain {
            context["audienceText"] = domain.subdomains
                ? "anyone signed in with an address at a subdomain of \(domain.domain)"
                : "anyone with an \(domain.domain) address"
        } else if let uid = invitation.userID {
            context["audienceText"] = "one new account (\(uid))"
        } else if invitation.anonymous {
            context["audienceText"] = "anyone with the link, no sign-in needed"
        } else {
            context["audienceText"] = "anyone with the link who signs in"
        }
        if let uses = invitation.effectiveUses {
            context["usesText"] = uses == 1 ? "once" : "up to \(uses) people"
        }
        if let seconds = invitation.memberFor {
            context["memberForText"] = "ends \(TimeSpan.words(seconds)) after you join"
        }
        return context
    }

    /// `2026-12-05 10:02 UTC`: absolute and unambiguous for people in any time zone.
    static func humanTime(_ time: Timestamp) -> String {
        let text = time.rfc3339
        return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5)) + " UTC"
    }

    /// A policy that allows only the page's own inline style and script (by hash) and posting to the join endpoint.
    static func policy(joinURL: String?) -> String {
        var policy = fixedPolicy
        if let joinURL, let origin = origin(of: joinURL) {
            policy += "; form-action \(origin)"
        } else {
            policy += "; form-action 'none'"
        }
        return policy
    }

    private static let fixedPolicy: String = {
        func hash(_ text: String) -> String {
            "'sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString() + "'"
        }
        return "default-src 'none'; style-src \(hash(DefaultTemplates.style)); script-src \(hash(DefaultTemplates.copyScript)); img-src data:; base-uri 'none'"
    }()

    static func origin(of url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !host.isEmpty, !host.contains(" "), !host.contains(";"), !host.contains("'") else { return nil }
        return String(url[..<scheme.upperBound]) + host
    }
}
