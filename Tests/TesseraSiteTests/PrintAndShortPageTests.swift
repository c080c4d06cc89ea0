import Foundation
import Testing
@testable import TesseraCore
@testable import TesseraMint
@testable import TesseraSite
import TesseraTestSupport

/// The link page's print view and the short link's page, as rendered.
@Suite(.offThePool) struct PrintAndShortPageTests {
    let renderer: SiteRenderer
    let invitation: Invitation
    let token: String

    init() throws {
        renderer = try SiteRenderer(settings: try Settings.parse("base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join\""))
        invitation = InvitationTerms(project: "talk-2026", role: "viewer", label: "PyData talk")
            .invitation(id: Minter.newInvitationID(), issuedAt: Timestamp(seconds: 1_790_000_000))
        token = Minter(key: SigningKey()).mint(invitation)
    }

    @Test func thePrintViewHidesTheTokenButtonsAndDetails() throws {
        let page = renderer.invitationPage(invitation, token: token, qrSVG: nil, shortCode: "k7mq3xz9p")
        let style = try #require(page.firstMatch(of: /<style>(.*?)<\/style>/)?.output.1)
        let print = try #require(style.firstMatch(of: /@media print\{(.*)\}$/)?.output.1, "no print stylesheet")
        #expect(print.contains("form,dl,label,input,textarea,button,.copy,.note,.short,script{display:none!important}"),
                "the Join form, details, token box and buttons are not printed")
        #expect(print.contains(".printlink{display:block"))
        #expect(page.contains("<p class=\"printlink\">invites.example.org/s/k7mq3xz9p</p>"), "the short link is what a printout says")
        #expect(page.contains("Short link: <a href=\"https://invites.example.org/s/k7mq3xz9p/\">invites.example.org/s/k7mq3xz9p</a>"))
        let plain = renderer.invitationPage(invitation, token: token, qrSVG: nil)
        #expect(plain.contains("<p class=\"printlink\">https://invites.example.org/i/\(invitation.id)/</p>"))
        #expect(!plain.contains("Short link"))
    }

    @Test(
        "The CSP pins the inline style, print rules included, of the link page and the short page",
        .enabled(if: ExternalTool.python3.isAvailableOrRequired, "python3 is not on PATH: install the Debian package python3"))
    func styleHashMatchesThePolicy() throws {
        guard let python = ExternalTool.python3.require() else { return }
        for page in [renderer.invitationPage(invitation, token: token, qrSVG: nil, shortCode: "k7mq3xz9p"), renderer.shortPage(pageURL: "https://invites.example.org/i/x/")] {
            let style = try #require(page.firstMatch(of: /<style>(.*?)<\/style>/)?.output.1)
            let hashed = try ExternalTool.run(python, ["-c", "import sys, hashlib, base64; print(base64.b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).decode())", String(style)])
            let hash = String(decoding: hashed.output, as: UTF8.self).trimmingCharacters(in: .newlines)
            #expect(page.contains("style-src &#39;sha256-\(hash)&#39;"), "the policy does not allow the page's own style")
        }
    }

    @Test func theShortPageLeadsOnWithoutScriptAndWithoutTheToken() {
        let page = renderer.shortPage(pageURL: renderer.pageURL(for: invitation.id)!)
        #expect(page.contains("<meta http-equiv=\"refresh\" content=\"0; url=https://invites.example.org/i/\(invitation.id)/\">"))
        #expect(page.contains("<a href=\"https://invites.example.org/i/\(invitation.id)/\">Open the invitation</a>"))
        #expect(!page.contains("<script"))
        #expect(!page.contains(token) && !page.contains("talk-2026") && !page.contains("PyData"), "the short page tells nothing of the invitation")
        #expect(page.contains(#"<meta name="robots" content="noindex, nofollow, noarchive">"#))
        #expect(page.contains(#"<meta name="referrer" content="strict-origin">"#))
        #expect(renderer.shortURL(for: "k7mq3xz9p") == "https://invites.example.org/s/k7mq3xz9p/")
    }

    @Test func shortCodesUseTheUnambiguousAlphabet() {
        #expect(ShortCode.alphabet.count == 30)
        for excluded in "0Oo1lIiu" { #expect(!ShortCode.alphabet.contains(UInt8(ascii: excluded.unicodeScalars.first!))) }
        var seen = Set<String>()
        for _ in 0..<2000 {
            let code = ShortCode.random()
            #expect(ShortCode.isValid(code))
            seen.insert(code)
        }
        #expect(seen.count == 2000)
        #expect(Double(ShortCode.length) * log2(Double(ShortCode.alphabet.count)) >= 40, "at least 40 random bits")
        for bad in ["", "k7mq3xz9", "k7mq3xz9pp", "K7MQ3XZ9P", "k7mq3xz0p", "../../key", "k7mq3xz9/"] { #expect(!ShortCode.isValid(bad), "\(bad)") }
    }
}
