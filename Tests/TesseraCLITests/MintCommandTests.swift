import Foundation
import Testing
import TesseraTestSupport

@Suite(.offThePool) struct MintCommandTests {
    @Test func firstMintInAnEmptyFolderCreatesTheSiteAndSaysSo() throws { try firstMintInAnEmptyFolderCreatesTheSiteAndSaysSoBody() }
    private func firstMintInAnEmptyFolderCreatesTheSiteAndSaysSoBody() throws {
        let site = try TemporaryFolder()
        let first = try Binary.tessera("mint", "--project", "talk-2026", "--role", "viewer", in: site.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("tessera: created signing key"))
        #expect(first.stderr.contains("created out/"))
        #expect(first.stderr.contains("created revoked.txt"))
        #expect(try site.mode("keys/main.secret.pem") == 0o600)
        #expect(try site.mode("keys/main.public.pem") & 0o077 == 0o044)
        #expect(FileManager.default.fileExists(atPath: site.file("revoked.txt").path))
        #expect(first.stdout.contains("minted 1 invitation to project talk-2026 as viewer"))

        let second = try Binary.tessera("mint", "--project", "talk-2026", "--role", "viewer", in: site.url)
        #expect(second.status == 0)
        #expect(!second.stderr.contains("created"), "nothing new to create: \(second.stderr)")
        let ids = try FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path).filter { $0 != "index.html" }
        #expect(ids.count == 2)
        #expect(ids.allSatisfy { $0.count == 22 })
        for id in ids {
            let token = try site.read("out/i/\(id)/token")
            #expect(token.hasPrefix("v4.public."))
            #expect(!first.stdout.contains(token.trimmingCharacters(in: .newlines)), "a token is printed only with --json")
        }
    }

    @Test func jsonOutputAndDefaultExpiryOfFourteenDays() throws { try jsonOutputAndDefaultExpiryOfFourteenDaysBody() }
    private func jsonOutputAndDefaultExpiryOfFourteenDaysBody() throws {
        let site = try TemporaryFolder()
        let before = Date()
        let result = try Binary.tessera("mint", "--project", "lab", "--role", "viewer", "--count", "3", "--json", in: site.url)
        #expect(result.status == 0)
        #expect(result.lines.count == 3)
        for line in result.lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let id = try #require(object["id"] as? String)
            #expect(id.count == 22)
            #expect(object["token"] is String)
            #expect(object["page"] as? String == "out/i/\(id)/index.html")
            #expect(FileManager.default.fileExists(atPath: site.file("out/i/\(id)/index.html").path))
            let expiresText = try #require(object["expires"] as? String)
            let expires = try #require(ISO8601DateFormatter().date(from: expiresText))
            #expect(abs(expires.timeIntervalSince(before) - 14 * 86_400) < 120)
        }
    }

    @Test func everyOptionIsCarriedIntoTheClaims() throws { try everyOptionIsCarriedIntoTheClaimsBody() }
    private func everyOptionIsCarriedIntoTheClaimsBody() throws {
        let site = try MintedSite("--project", "lab", "--role", "result-input", "--for", "alice@example.org",
                                  "--expires", "36h", "--not-before", "2026-01-01T00:00:00Z", "--label", "Lab <b>2</b>",
                                  "--audience", "gw.example.org")
        let shown = try Binary.tessera("show", "--json", "--audience", "gw.example.org", site.token, in: site.folder.url)
        #expect(shown.status == 0, "\(shown.stdout) \(shown.stderr)")
        let claims = try #require(shown.json?["claims"] as? [String: Any])
        #expect(claims["sub"] as? String == "alice@example.org")
        #expect(claims["role"] as? String == "result-input")
        #expect(claims["nbf"] as? String == "2026-01-01T00:00:00Z")
        #expect(claims["label"] as? String == "Lab <b>2</b>")
        #expect(claims["aud"] as? String == "gw.example.org")
        let iat = try #require(ISO8601DateFormatter().date(from: claims["iat"] as! String))
        let exp = try #require(ISO8601DateFormatter().date(from: claims["exp"] as! String))
        #expect(exp.timeIntervalSince(iat) == 36 * 3600)

        let signup = try MintedSite("--project", "lab", "--role", "viewer", "--uid", "u-1042")
        let signupClaims = try #require(try Binary.tessera("show", "--json", signup.token, in: signup.folder.url).json?["claims"] as? [String: Any])
        #expect(signupClaims["uid"] as? String == "u-1042")
        #expect(signupClaims["uses"] as? Int == 1)

        let open = try MintedSite("--project", "talk", "--role", "viewer", "--anonymous", "--uses", "50", "--expires", "never")
        let openClaims = try #require(try Binary.tessera("show", "--json", open.token, in: open.folder.url).json?["claims"] as? [String: Any])
        #expect(openClaims["anon"] as? Bool == true)
        #expect(openClaims["uses"] as? Int == 50)
        #expect(openClaims["exp"] == nil)
    }

    @Test(arguments: [
        (["--project", "a/b", "--role", "viewer"], "--project"),
        (["--project", "p", "--role", ".."], "--role"),
        (["--project", "p", "--role", "viewer", "--expires", "soon"], "--expires"),
        (["--project", "p", "--role", "viewer", "--expires", "2020-01-01T00:00:00Z"], "--expires"),
        (["--project", "p", "--role", "viewer", "--for", "a@b.c", "--anonymous"], "--anonymous"),
        (["--project", "p", "--role", "viewer", "--uid", "u1", "--uses", "3"], "--uses"),
        (["--project", "p", "--role", "viewer", "--uses", "0"], "--uses"),
        (["--project", "p", "--role", "viewer", "--count", "0"], "--count"),
        (["--project", "p", "--role", "viewer", "--not-before", "2026-01-01t00:00:00z"], "--not-before"),
        (["--role", "viewer"], "--project"),
        (["--project", "p", "--role", "viewer", "--bogus"], "--bogus"),
    ])
    func badOptionsAreUsageErrorsNamingTheFlag(arguments: [String], flag: String) throws {
        let site = try TemporaryFolder()
        let result = try Binary.run("tessera", ["mint"] + arguments, in: site.url)
        #expect(result.status == 2)
        let first = try #require(result.stderr.split(separator: "\n").first)
        #expect(first.hasPrefix("tessera: error: "), "\(result.stderr)")
        #expect(first.contains(flag), "\(first)")
        #expect(first.dropFirst("tessera: error: ".count).first?.isUppercase == false, "errors are lowercase: \(first)")
        #expect(!FileManager.default.fileExists(atPath: site.file("keys").path), "nothing is created for a refused mint")
    }

    @Test func showReportsAnInvalidTokenWithoutTrustingIt() throws { try showReportsAnInvalidTokenWithoutTrustingItBody() }
    private func showReportsAnInvalidTokenWithoutTrustingItBody() throws {
        let site = try MintedSite("--project", "p", "--role", "viewer")
        var tampered = Array(site.token)
        tampered[30] = tampered[30] == "A" ? "B" : "A"
        let result = try Binary.tessera("show", String(tampered), in: site.folder.url)
        #expect(result.status == 11 || result.status == 10)
        #expect(result.stdout.contains("NOT VERIFIED"))
        #expect(!result.stdout.contains(site.token) && !result.stderr.contains(String(tampered)))
    }
}
