import Foundation
import Testing
@testable import TesseraCore
@testable import TesseraMint
@testable import TesseraSite
import TesseraTestSupport

/// Issue 12: the pieces of an invitation email, and text isolated on pages.
@Suite(.offThePool) struct MailAndTextTests {
    @Test func encodedWordsStayWithin75AndNeverSplitACharacter() {
        let text = String(repeating: "Grüße, 🙂 ", count: 40)
        let words = InvitationEmail.encodedWords(text)
        #expect(words.count > 5)
        var decoded: [UInt8] = []
        for word in words {
            #expect(word.utf8.count <= 75, "\(word)")
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?="))
            let bytes = Array(Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))!)
            #expect(String(validating: bytes, as: UTF8.self) != nil, "a word splits a character")
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == text)
    }

    /// `Müller Lab, Berlin <tessera@localhost>` read as two addresses.
    @Test func fromIsOneMailbox() {
        #expect(InvitationEmail.mailbox(.init(name: "Müller Lab, Berlin", address: "a@lab.example")).hasSuffix(" <a@lab.example>"))
        #expect(InvitationEmail.mailbox(.init(name: "Müller Lab, Berlin", address: "a@lab.example")).hasPrefix("=?utf-8?B?"))
        #expect(InvitationEmail.mailbox(.init(name: "Lab, Berlin \"B\"", address: "a@lab.example")) == #""Lab, Berlin \"B\"" <a@lab.example>"#)
        #expect(InvitationEmail.mailbox(.init(name: nil, address: "a@lab.example")) == "a@lab.example")
    }

    /// A 1,381-character `Subject:` line.
    @Test func longHeadersAreFolded() {
        let header = InvitationEmail.header("Subject", InvitationEmail.unstructured("Invitation to lab: " + String(repeating: "word ", count: 300) + "end"))
        let lines = header.components(separatedBy: "\r\n")
        #expect(lines.count > 10)
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.map(\.count).max() ?? 0)")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        let unbroken = InvitationEmail.header("Subject", InvitationEmail.unstructured(String(repeating: "x", count: 2_000)))
        #expect(unbroken.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 }, "a word too long to fold is encoded and folded between words")
    }

    @Test func longBodyLinesGoQuotedPrintable() {
        let (encoding, lines) = InvitationEmail.encodeBody("short\n" + String(repeating: "ä", count: 600) + " =end \n")
        #expect(encoding == "quoted-printable")
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(InvitationEmail.encodeBody("short\nlines\n").encoding == "8bit")
    }

    /// A subject with U+202E showed as another address: pages isolate claims in `<bdi>`, text mail in FSI … PDI.
    @Test func claimsAreIsolatedOnPagesAndInMail() throws {
        let renderer = try SiteRenderer(settings: try Settings.parse("base_url = \"https://invites.example.org/\"\n"))
        let invitation = Invitation(id: Minter.newInvitationID(), project: "lab", role: "viewer", issuedAt: Timestamp(seconds: 1_790_000_000),
                                    expiresAt: nil, subject: "gro.live@\u{202E}ecila", label: "Room \u{202E}2")
        let page = renderer.invitationPage(invitation, token: "v4.public.x", qrSVG: nil)
        #expect(page.contains("<bdi>gro.live@\u{202E}ecila</bdi>"))
        #expect(page.contains("<bdi>Room \u{202E}2</bdi>"))
        let text = renderer.emailBodies(invitation).text
        #expect(text.contains("\u{2068}Room \u{202E}2\u{2069}"))
        #expect(renderer.emailBodies(invitation).html.contains("<bdi>Room \u{202E}2</bdi>"))
    }

    @Test func bidiControlsAreRefusedAtMint() {
        let now = Timestamp(seconds: 1_790_000_000)
        for terms in [InvitationTerms(project: "p", role: "r", subject: "a\u{202E}b"), InvitationTerms(project: "p", role: "r", label: "x\u{2067}"),
                      InvitationTerms(project: "p", role: "r", issuer: "L\u{200E}")] {
            #expect(throws: InvitationTerms.Problem.self) { try terms.validate(at: now) }
        }
        #expect(throws: Never.self) { try InvitationTerms(project: "p", role: "r", label: "عربي room").validate(at: now) }
    }
}
