import Foundation
import Testing
import TesseraTestSupport

@Suite(.offThePool) struct KeysCommandTests {
    @Test func secretKeysAreCreatedExclusivelyAndRefusedWhenReadableByOthers() throws { try secretKeysAreCreatedExclusivelyAndRefusedWhenReadableByOthersBody() }
    private func secretKeysAreCreatedExclusivelyAndRefusedWhenReadableByOthersBody() throws {
        let site = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "new", in: site.url).status == 0)
        #expect(try site.mode("keys/main.secret.pem") == 0o600)
        let again = try Binary.tessera("keys", "new", "--name", "main", in: site.url)
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))

        chmod(site.file("keys/main.secret.pem").path, 0o640)
        let refused = try Binary.tessera("mint", "--project", "p", "--role", "viewer", in: site.url)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("tessera: hint: chmod 600 "), "\(refused.stderr)")
        let minted = (try? FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path)) ?? []
        #expect(minted.isEmpty)
    }

    @Test func exportPrintsTheSecretOnlyWhenAsked() throws { try exportPrintsTheSecretOnlyWhenAskedBody() }
    private func exportPrintsTheSecretOnlyWhenAskedBody() throws {
        let site = try TemporaryFolder()
        try Binary.tessera("keys", "new", in: site.url)
        let publicPaserk = try Binary.tessera("keys", "export", in: site.url)
        #expect(publicPaserk.status == 0)
        #expect(publicPaserk.stdout.hasPrefix("k4.public."))
        #expect(!publicPaserk.stdout.contains("k4.secret"))
        let publicPEM = try Binary.tessera("keys", "export", "--format", "pem", in: site.url)
        #expect(publicPEM.stdout.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        #expect(publicPEM.stdout == (try site.read("keys/main.public.pem")))
        let secret = try Binary.tessera("keys", "export", "--secret", in: site.url)
        #expect(secret.stdout.hasPrefix("k4.secret."))
        let list = try Binary.tessera("keys", "list", in: site.url)
        #expect(list.stdout.contains("* main  k4.pid."))
        #expect(!list.stdout.contains("k4.secret") && !list.stdout.contains("PRIVATE"))
    }

    @Test func paserkRoundTripAndMismatchedSecretIsRefused() throws { try paserkRoundTripAndMismatchedSecretIsRefusedBody() }
    private func paserkRoundTripAndMismatchedSecretIsRefusedBody() throws {
        let source = try TemporaryFolder()
        try Binary.tessera("keys", "new", in: source.url)
        let secret = try Binary.tessera("keys", "export", "--secret", in: source.url).stdout
        let kid = try #require(try Binary.tessera("keys", "list", "--json", in: source.url).json?["kid"] as? String)

        let target = try TemporaryFolder()
        let imported = try Binary.tessera("keys", "import", "-", "--name", "moved", in: target.url, stdin: secret)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains(kid))
        #expect(try target.mode("keys/moved.secret.pem") == 0o600)

        // Same seed, another key's public half: a k4.secret like this can leak the seed when used.
        let other = try TemporaryFolder()
        try Binary.tessera("keys", "new", in: other.url)
        let otherSecret = try Binary.tessera("keys", "export", "--secret", in: other.url).stdout
        let seedHalf = secret.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("k4.secret.".count)
        let otherHalf = otherSecret.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("k4.secret.".count)
        let seed = try #require(Data(base64Encoded: base64(String(seedHalf))))
        let otherBytes = try #require(Data(base64Encoded: base64(String(otherHalf))))
        let spliced = "k4.secret." + base64url(seed.prefix(32) + otherBytes.suffix(32))
        let mismatch = try Binary.tessera("keys", "import", "-", "--name", "bad", in: target.url, stdin: spliced + "\n")
        #expect(mismatch.status == 2)
        #expect(mismatch.stderr.contains("does not match"))
        #expect(!FileManager.default.fileExists(atPath: target.file("keys/bad.secret.pem").path))
    }

    @Test func opensslReadsOurKeysAndWeImportOpensslKeys() throws { try opensslReadsOurKeysAndWeImportOpensslKeysBody() }
    private func opensslReadsOurKeysAndWeImportOpensslKeysBody() throws {
        guard let openssl = ExternalTool.openssl.require() else { return }
        _ = openssl
        let site = try TemporaryFolder()
        try Binary.tessera("keys", "new", in: site.url)
        let text = try ExternalTool.openssl.run(["pkey", "-in", site.file("keys/main.secret.pem").path, "-text", "-noout"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("ED25519 Private-Key"))
        let derivedPublic = try ExternalTool.openssl.run(["pkey", "-in", site.file("keys/main.secret.pem").path, "-pubout"])
        #expect(derivedPublic.stdout == (try site.read("keys/main.public.pem")))

        let generated = site.file("openssl.pem").path
        #expect(try ExternalTool.openssl.run(["genpkey", "-algorithm", "ed25519", "-out", generated]).status == 0)
        let imported = try Binary.tessera("keys", "import", generated, "--name", "fromssl", "--sign", in: site.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let expectedPublic = try ExternalTool.openssl.run(["pkey", "-in", generated, "-pubout"]).stdout
        #expect(expectedPublic == (try site.read("keys/fromssl.public.pem")))

        // A token minted with the imported key verifies, and its signature checks with openssl too.
        let minted = try Binary.tessera("mint", "--project", "p", "--role", "viewer", "--json", in: site.url)
        let token = try #require(minted.json?["token"] as? String)
        #expect(try Binary.verify("check", token, in: site.url).status == 0)
    }

    @Test func keysUseChoosesTheSigningKey() throws { try keysUseChoosesTheSigningKeyBody() }
    private func keysUseChoosesTheSigningKeyBody() throws {
        let site = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "new", in: site.url).status == 0)
        #expect(try Binary.tessera("keys", "new", "--name", "spare", "--no-sign", in: site.url).status == 0)
        #expect(try Binary.tessera("mint", "--project", "p", "--role", "viewer", in: site.url).stdout.contains("(signed with key main)"))
        #expect(try Binary.tessera("keys", "use", "spare", in: site.url).status == 0)
        #expect(try Binary.tessera("mint", "--project", "p", "--role", "viewer", in: site.url).stdout.contains("(signed with key spare)"))
        #expect(try Binary.tessera("keys", "list", in: site.url).stdout.contains("* spare"))
        let missing = try Binary.tessera("keys", "use", "nope", in: site.url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no secret key named nope"))
    }

    @Test func rotationKeepsOldInvitationsValidUntilTheOldKeyIsRemoved() throws { try rotationKeepsOldInvitationsValidUntilTheOldKeyIsRemovedBody() }
    private func rotationKeepsOldInvitationsValidUntilTheOldKeyIsRemovedBody() throws {
        let site = try MintedSite("--project", "p", "--role", "viewer")
        let new = try Binary.tessera("keys", "new", "--name", "next", in: site.folder.url)
        #expect(new.status == 0)
        let second = try Binary.tessera("mint", "--project", "p", "--role", "viewer", "--json", in: site.folder.url)
        let newToken = try #require(second.json?["token"] as? String)
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 0)
        #expect(try Binary.verify("check", newToken, in: site.folder.url).status == 0)
        #expect(newToken.split(separator: ".")[3] != site.token.split(separator: ".")[3], "signed with the new key")

        try FileManager.default.removeItem(at: site.folder.file("keys/main.public.pem"))
        #expect(try Binary.verify("check", site.token, in: site.folder.url).status == 11)
        #expect(try Binary.verify("check", newToken, in: site.folder.url).status == 0)
    }
}

private func base64(_ url: String) -> String {
    var text = url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while text.count % 4 != 0 { text += "=" }
    return text
}

private func base64url(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}
