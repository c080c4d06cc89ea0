import Foundation
import Testing
import TesseraCore
import TesseraTestSupport

/// `tessera mint --slide --short` as a speaker uses it, on the built binary: the files, the short
/// link's page, the refusals, and the short page leaving with the invitation (revoke + build, prune).
@Suite(.offThePool) struct SpeakerKitTests {
    static let settings = "base_url = \"https://invites.example.org/\"\njoin_url = \"https://gw.example.org/join\"\n"

    @Test func mintWritesTheSlideAndAShortLinkThatLeadsToThePage() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let minted = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--anonymous", "--uses", "200",
                                        "--label", "PyData talk, room 2", "--slide", "--short", "--json", in: site.url)
        #expect(minted.status == 0, "\(minted.stderr)")
        let object = try #require(minted.json)
        let id = try #require(object["id"] as? String)
        let token = try #require(object["token"] as? String)
        let shortURL = try #require(object["short_url"] as? String)
        #expect(object["slide"] as? String == "out/i/\(id)/slide.png")
        #expect(shortURL.hasPrefix("https://invites.example.org/s/") && shortURL.hasSuffix("/"))
        let code = String(shortURL.dropFirst("https://invites.example.org/s/".count).dropLast())
        #expect(ShortCode.isValid(code), "\(code)")
        #expect(!code.contains { "0O1lIi".contains($0) })

        #expect(try site.read("out/i/\(id)/short") == code + "\n")
        let png = try Data(contentsOf: site.file("out/i/\(id)/slide.png"))
        #expect(png.starts(with: [0x89, 0x50, 0x4e, 0x47]))
        let svg = try site.read("out/i/\(id)/slide.svg")
        #expect(svg.contains("viewBox=\"0 0 1920 1080\"") && svg.contains(code) && svg.contains("PyData talk, room 2"))

        let short = try site.read("out/s/\(code)/index.html")
        #expect(short.contains("<meta http-equiv=\"refresh\" content=\"0; url=https://invites.example.org/i/\(id)/\">"))
        #expect(short.contains("<a href=\"https://invites.example.org/i/\(id)/\">"), "a visible link for browsers that ignore the refresh")
        #expect(!short.contains(token) && !short.contains(String(token.suffix(40))), "the short page never holds the token")
        #expect(!short.contains("<script"))
        #expect(short.contains("content=\"noindex, nofollow, noarchive\"") && short.contains("content=\"strict-origin\""))
        #expect(short.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;"))

        let page = try site.read("out/i/\(id)/index.html")
        #expect(page.contains("Short link: <a href=\"\(shortURL)\">invites.example.org/s/\(code)</a>"))
        #expect(page.contains("<p class=\"printlink\">invites.example.org/s/\(code)</p>"))

        let text = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--slide", "--short", in: site.url)
        #expect(text.stdout.contains("short link: https://invites.example.org/s/"))
        #expect(text.stdout.contains("slide: out/i/"))
    }

    @Test func shortLinksAreRefusedForTargetedAndSignupInvitations() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let targeted = try Binary.tessera("mint", "--project", "p", "--role", "r", "--for", "ann@example.org", "--short", in: site.url)
        #expect(targeted.status == 2)
        #expect(targeted.stderr.hasPrefix("tessera: error: --short: a --for invitation gets no short link"))
        let signup = try Binary.tessera("mint", "--project", "p", "--role", "r", "--uid", "u-1", "--short", in: site.url)
        #expect(signup.status == 2)
        #expect(signup.stderr.hasPrefix("tessera: error: --short: a --uid invitation gets no short link"))
        #expect(!FileManager.default.fileExists(atPath: site.file("out/s").path))

        // short_links = true gives open invitations a short link and leaves targeted ones without.
        try site.write("tessera.toml", Self.settings + "short_links = true\nslides = true\n")
        let open = try mintInvitation(in: site, "--project", "p", "--role", "r")
        #expect(FileManager.default.fileExists(atPath: site.file("out/i/\(open.id)/short").path))
        #expect(FileManager.default.fileExists(atPath: site.file("out/i/\(open.id)/slide.png").path))
        let mailed = try mintInvitation(in: site, "--project", "p", "--role", "r", "--for", "ann@example.org")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(mailed.id)/short").path))
        #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(mailed.id)/slide.png").path), "slides = true leaves targeted invitations without a slide")
        let account = try mintInvitation(in: site, "--project", "p", "--role", "r", "--uid", "u-2")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(account.id)/slide.svg").path))
    }

    /// Review of issue 17, finding 6: a slide is shown to an audience, and whoever scanned a
    /// targeted or signup invitation's QR code first would take it; `--short` already refused these.
    @Test func slidesAreRefusedForTargetedAndSignupInvitations() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let targeted = try Binary.tessera("mint", "--project", "p", "--role", "r", "--for", "ann@example.org", "--slide", in: site.url)
        #expect(targeted.status == 2)
        #expect(targeted.stderr.hasPrefix("tessera: error: --slide: a --for invitation gets no slide"), "\(targeted.stderr)")
        let signup = try Binary.tessera("mint", "--project", "p", "--role", "r", "--uid", "u-1", "--slide", in: site.url)
        #expect(signup.status == 2)
        #expect(signup.stderr.hasPrefix("tessera: error: --slide: a --uid invitation gets no slide"), "\(signup.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/i").path), "nothing was minted")
    }

    @Test func slidesAndShortLinksNeedABaseURL() throws {
        let site = try TemporaryFolder()
        for flag in ["--slide", "--short"] {
            let result = try Binary.tessera("mint", "--project", "p", "--role", "r", flag, in: site.url)
            #expect(result.status == 2)
            #expect(result.stderr.hasPrefix("tessera: error: \(flag) needs base_url in tessera.toml"), "\(result.stderr)")
        }
        try site.write("tessera.toml", "slides = true\n")
        let setting = try Binary.tessera("mint", "--project", "p", "--role", "r", in: site.url)
        #expect(setting.stderr.hasPrefix("tessera: error: slides = true in tessera.toml needs base_url"), "\(setting.stderr)")
    }

    @Test func revokingAndBuildingWithdrawsTheShortPageAndSlide() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let kept = try mintInvitation(in: site, "--project", "talk", "--role", "viewer", "--short", "--slide")
        let revoked = try mintInvitation(in: site, "--project", "talk", "--role", "viewer", "--short", "--slide")
        let keptCode = try site.read("out/i/\(kept.id)/short").trimmingCharacters(in: .newlines)
        let code = try site.read("out/i/\(revoked.id)/short").trimmingCharacters(in: .newlines)
        #expect(FileManager.default.fileExists(atPath: site.file("out/s/\(code)/index.html").path))

        #expect(try Binary.tessera("revoke", revoked.id, in: site.url).status == 0)
        let built = try Binary.tessera("build", in: site.url)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/s/\(code)").path), "the short page of a revoked invitation is gone")
        for name in ["slide.png", "slide.svg", "token", "qr.svg"] {
            #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(revoked.id)/\(name)").path), "\(name) stays published")
        }
        #expect(try site.read("out/i/\(revoked.id)/index.html").contains("no longer valid"))
        // The other invitation keeps its short page and slide, rebuilt.
        #expect(FileManager.default.fileExists(atPath: site.file("out/s/\(keptCode)/index.html").path))
        #expect(FileManager.default.fileExists(atPath: site.file("out/i/\(kept.id)/slide.png").path))

        // Undoing the revocation brings the short page back on the next build.
        try site.write("revoked.txt", "")
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(try site.read("out/s/\(code)/index.html").contains("/i/\(revoked.id)/"))
    }

    @Test func pruningAnExpiredInvitationRemovesItsShortPage() async throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let expiring = try mintInvitation(in: site, "--project", "talk", "--role", "viewer", "--expires", "1s", "--short")
        let kept = try mintInvitation(in: site, "--project", "talk", "--role", "viewer", "--short")
        let code = try site.read("out/i/\(expiring.id)/short").trimmingCharacters(in: .newlines)
        let keptCode = try site.read("out/i/\(kept.id)/short").trimmingCharacters(in: .newlines)
        try await Task.sleep(for: .seconds(1.2))
        let pruned = try Binary.tessera("prune", "--leeway", "0s", in: site.url)
        #expect(pruned.status == 0, "\(pruned.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/s/\(code)").path))
        #expect(!FileManager.default.fileExists(atPath: site.file("out/i/\(expiring.id)").path))
        #expect(FileManager.default.fileExists(atPath: site.file("out/s/\(keptCode)/index.html").path))
    }

    @Test func aShortFileNamingAnotherFolderIsIgnored() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        let minted = try mintInvitation(in: site, "--project", "talk", "--role", "viewer", "--short")
        // A hand-edited `short` that tries to make build or prune remove something else.
        try site.write("out/i/\(minted.id)/short", "../../keys\n")
        #expect(try Binary.tessera("revoke", minted.id, in: site.url).status == 0)
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(FileManager.default.fileExists(atPath: site.file("keys").path), "a short file is a code, never a path")
    }

    /// `out/s` as a link leading out of the site: `mint --short` is refused before it writes any page, and
    /// nothing lands where the link leads.
    @Test func aShortLinkFolderLeadingOutOfTheSiteIsRefusedBeforeAnyPage() throws {
        let site = try TemporaryFolder()
        let elsewhere = try TemporaryFolder()
        try Data(Self.settings.utf8).write(to: site.file("tessera.toml"))
        try FileManager.default.createDirectory(at: site.file("out"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: site.file("out/s").path, withDestinationPath: elsewhere.url.path)
        let minted = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--short", in: site.url)
        #expect(minted.status != 0)
        #expect(minted.stderr.contains("outside the site folder (a symbolic link)"), "\(minted.stderr)")
        #expect(!minted.stdout.contains("minted"), "\(minted.stdout)")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path)) ?? []).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.url.path).isEmpty)
    }

    /// An invitation folder deleted by hand leaves its short page leading nowhere: `build` removes that page,
    /// and only that one.
    @Test func buildRemovesTheShortPageOfAnInvitationFolderDeletedByHand() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", Self.settings)
        var codes: [(id: String, code: String)] = []
        for _ in 0..<2 {
            let minted = try Binary.tessera("mint", "--project", "talk", "--role", "viewer", "--short", "--json", in: site.url)
            #expect(minted.status == 0, "\(minted.stderr)")
            let id = try #require(minted.json?["id"] as? String)
            codes.append((id, try String(contentsOf: site.file("out/i/\(id)/short"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        try FileManager.default.removeItem(at: site.file("out/i/\(codes[0].id)"))
        let built = try Binary.tessera("build", in: site.url)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("removed 1 short link page in out/s/ whose invitation folder is gone"), "\(built.stderr)")
        #expect(!FileManager.default.fileExists(atPath: site.file("out/s/\(codes[0].code)").path))
        #expect(FileManager.default.fileExists(atPath: site.file("out/s/\(codes[1].code)/index.html").path))
        let again = try Binary.tessera("build", in: site.url)
        #expect(!again.stderr.contains("short link page"), "\(again.stderr)")
    }
}
