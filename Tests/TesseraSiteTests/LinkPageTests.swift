import Foundation
import Testing
@testable import TesseraCore
@testable import TesseraMint
@testable import TesseraSite
import TesseraTestSupport

@Suite(.offThePool) struct LinkPageTests {
    static let hostileLabel = #"PyData <script>alert("x")</script> <img src=x onerror=alert(1)> & 'quotes'"#

    func renderer(_ toml: String = "base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join/{project}/{jti}\"") throws -> SiteRenderer {
        try SiteRenderer(settings: try Settings.parse(toml))
    }

    func invitation(label: String? = hostileLabel, subject: String? = nil) -> Invitation {
        InvitationTerms(project: "talk-2026", role: "viewer", subject: subject, uses: subject == nil ? 40 : nil, label: label)
            .invitation(id: Minter.newInvitationID(), issuedAt: Timestamp(seconds: 1_790_000_000))
    }

    @Test func pageEscapesClaimsAndCarriesTheJoinForm() throws {
        let renderer = try renderer()
        let invitation = invitation()
        let token = Minter(key: SigningKey()).mint(invitation)
        let page = renderer.invitationPage(invitation, token: token, qr: try QRCode(text: renderer.pageURL(for: invitation.id)!))
        #expect(!page.contains("<script>alert"))
        #expect(!page.contains("<img src=x"))
        #expect(page.contains("PyData &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"))
        #expect(page.contains(#"<form method="post" action="https://gw.example.org/join/talk-2026/\#(invitation.id)">"#))
        #expect(page.contains(#"<input type="hidden" name="token" value="\#(token)">"#))
        #expect(page.contains(#"<meta name="robots" content="noindex"#))
        // Origin only: the gateway checks it on the Join POST (a page sending none, or "null", cannot join); the path with the id never leaves.
        #expect(page.contains(#"<meta name="referrer" content="strict-origin">"#))
        #expect(page.contains("form-action https://gw.example.org"))
        #expect(page.contains("<svg class=\"qr\""))
        #expect(page.contains(">2026-10-05 14:13 UTC</time>"), "expiry shown in UTC, 14 days after issue")
        #expect(page.contains("up to 40 people"))
        #expect(page.contains(#"<label for="token">"#) && page.contains(#"<textarea id="token""#))
        // Nothing is loaded from elsewhere: the only absolute URLs are the join endpoint, the page link and the SVG namespace.
        let urls = page.matches(of: /https?:\/\/[^"'<> ]+/).map { String($0.output) }
        for url in urls {
            #expect(url.hasPrefix("https://gw.example.org/join/") || url.hasPrefix("https://invites.example.org/i/")
                    || url == "https://gw.example.org" || url == "http://www.w3.org/2000/svg", "unexpected URL \(url)")
        }
        #expect(!page.contains(#" src=""#) && !page.contains("<img") && !page.contains("<link"), "no external images, scripts or styles")
    }

    @Test func withoutSettingsThePageStillWorksWithoutJoinFormOrQR() throws {
        let renderer = try renderer("")
        let invitation = invitation(label: nil, subject: "alice@example.org")
        let page = renderer.invitationPage(invitation, token: "v4.public.x", qr: nil)
        #expect(!page.contains("<form"))
        #expect(page.contains("form-action &#39;none&#39;"), "the policy, entity-escaped inside the attribute")
        #expect(page.contains("alice@example.org"))
        #expect(page.contains("once"))
        #expect(renderer.pageURL(for: invitation.id) == nil)
    }

    @Test func invalidPageHoldsNoToken() throws {
        let renderer = try renderer()
        let invitation = invitation()
        let page = renderer.invalidPage(invitation, reason: "It was revoked.")
        #expect(page.contains("no longer valid"))
        #expect(page.contains("It was revoked."))
        #expect(!page.contains("v4.public.") && !page.contains("<form") && !page.contains("<svg"))
        #expect(!page.contains("<script>alert"))
    }

    @Test func siteTemplatesOverrideTheBuiltInOnesAndUnknownOnesAreRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "<p>{{project}} / {{label}} / {{{qrSVG}}}</p>".write(to: folder.appendingPathComponent("invitation.mustache"), atomically: true, encoding: .utf8)
        let renderer = try SiteRenderer(settings: Settings(), templatesFolder: folder.path)
        let page = renderer.invitationPage(invitation(label: "<b>x</b>"), token: "t", qr: nil)
        #expect(page.hasPrefix("<p>talk-2026 / &lt;b&gt;x&lt;/b&gt; / </p>"))

        try "x".write(to: folder.appendingPathComponent("invitatoin.mustache"), atomically: true, encoding: .utf8)
        #expect(throws: SiteRenderer.TemplateError.self) { try SiteRenderer(settings: Settings(), templatesFolder: folder.path) }
    }

    @Test func emailIsAMultipartMessageWithTheLink() throws {
        let renderer = try renderer()
        let invitation = invitation(label: "Lab ü & <Co>", subject: "alice@example.org")
        let mail = InvitationEmail(invitation: invitation, renderer: renderer, from: .init(name: "Lab", address: "tessera@localhost"), date: Timestamp(seconds: 1_790_000_000)).message
        #expect(mail.contains("To: alice@example.org\r\n"))
        #expect(mail.contains("Date: Mon, 21 Sep 2026 14:13:20 +0000\r\n"))
        #expect(mail.contains("Content-Type: multipart/alternative; boundary="))
        #expect(mail.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(mail.contains("Content-Type: text/html; charset=utf-8"))
        #expect(mail.contains("Subject: =?utf-8?B?"))
        #expect(mail.contains("https://invites.example.org/i/\(invitation.id)/"))
        #expect(!mail.contains("v4.public."), "the email carries the link, not the token")
        #expect(mail.contains("You are invited to talk-2026 (Lab ü & <Co>) as viewer."), "plain text is not HTML-escaped")
        #expect(mail.contains("(<bdi>Lab ü &amp; &lt;Co&gt;</bdi>)"), "the HTML part is")
        #expect(!InvitationEmail.isAddress("a@b.c\r\nBcc: x@y.z"))
        #expect(InvitationEmail.isAddress("alice@example.org"))
    }

    @Test func signedRevocationListVerifiesAndRefusesRollbackAndTampering() throws {
        let key = SigningKey()
        let keyring = Keyring([key.publicKey])
        let list = RevocationList([.project("talk"), .invitation(Minter.newInvitationID())])
        let newer = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 2_000), list: list))
        let older = Minter(key: key).sign(SignedRevocationList(issuedAt: Timestamp(seconds: 1_000), list: RevocationList()))
        let read = try SignedRevocationList(verifying: Array(newer.utf8), keyring: keyring, notOlderThan: Timestamp(seconds: 1_500))
        #expect(read.list == list)
        #expect(throws: SignedRevocationList.Error.rollback(held: Timestamp(seconds: 1_500), offered: Timestamp(seconds: 1_000))) {
            try SignedRevocationList(verifying: Array(older.utf8), keyring: keyring, notOlderThan: Timestamp(seconds: 1_500))
        }
        #expect(throws: SignedRevocationList.Error.self) { try SignedRevocationList(verifying: Array(newer.utf8), keyring: Keyring([SigningKey().publicKey])) }
        // An invitation token is not a revocation list, even though it is validly signed.
        let invitationToken = Minter(key: key).mint(invitation())
        #expect(throws: SignedRevocationList.Error.self) { try SignedRevocationList(verifying: Array(invitationToken.utf8), keyring: keyring) }
    }
}
