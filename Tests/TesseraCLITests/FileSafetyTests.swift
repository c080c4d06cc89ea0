import Foundation
import Testing
import TesseraTestSupport

/// Writes stay inside the site folder, and an interrupted `tessera build` never leaves a part of a file where a whole one belongs.
@Suite(.offThePool) struct FileSafetyTests {
    /// A site with a symbolic link at `link` (relative to the site) pointing to a folder outside it.
    private func siteLinking(_ link: String) throws -> (site: TemporaryFolder, outside: TemporaryFolder) {
        let site = try TemporaryFolder()
        let outside = try TemporaryFolder()
        let path = site.file(link).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: outside.path)
        return (site, outside)
    }

    private func expectRefused(_ result: Binary.Result, _ outside: TemporaryFolder, _ what: String) throws {
        #expect(result.status == 2, "\(what): exit \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("outside the site folder"), "\(what): \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty, "\(what): wrote outside the site")
    }

    @Test func linksOutOfTheSiteAreRefusedForWrites() throws { try linksOutOfTheSiteAreRefusedForWritesBody() }
    private func linksOutOfTheSiteAreRefusedForWritesBody() throws {
        do {
            let (site, outside) = try siteLinking("out")
            try expectRefused(try Binary.tessera("mint", "--project", "p", "--role", "r", in: site.url), outside, "mint with out/ linked out")
        }
        do {
            let (site, outside) = try siteLinking("out/i")
            try expectRefused(try Binary.tessera("mint", "--project", "p", "--role", "r", in: site.url), outside, "mint with out/i/ linked out")
            try expectRefused(try Binary.tessera("build", in: site.url), outside, "build with out/i/ linked out")
        }
        do {
            let (site, outside) = try siteLinking("out/.well-known")
            #expect(try Binary.tessera("keys", "new", in: site.url).status == 0)
            try expectRefused(try Binary.tessera("build", in: site.url), outside, "build with out/.well-known/ linked out")
        }
        do {
            let (site, outside) = try siteLinking("outbox")
            try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\n")
            let mint = try Binary.tessera("mint", "--project", "p", "--role", "r", "--for", "alice@example.org", "--email", in: site.url)
            try expectRefused(mint, outside, "mint --email with outbox/ linked out")
        }
        do {
            // Withdrawing a revoked page moves its token to withdrawn/: refused when that leads out.
            let (site, outside) = try siteLinking("withdrawn")
            let minted = try Binary.tessera("mint", "--json", "--project", "p", "--role", "r", in: site.url)
            let id = try #require(minted.json?["id"] as? String)
            #expect(try Binary.tessera("revoke", id, in: site.url).status == 0)
            try expectRefused(try Binary.tessera("build", in: site.url), outside, "build with withdrawn/ linked out")
            #expect(FileManager.default.fileExists(atPath: site.file("out/i/\(id)/token").path), "the token left the page although it could not be kept")
        }
        do {
            // An invitation folder replaced by a link: prune must not delete through it.
            let site = try TemporaryFolder()
            let outside = try TemporaryFolder()
            let minted = try Binary.tessera("mint", "--json", "--project", "p", "--role", "r", "--expires", "1s", in: site.url)
            let id = try #require(minted.json?["id"] as? String)
            try outside.write("precious.txt", "keep me\n")
            try outside.write("token", try site.read("out/i/\(id)/token"))
            try FileManager.default.removeItem(at: site.file("out/i/\(id)"))
            try FileManager.default.createSymbolicLink(atPath: site.file("out/i/\(id)").path, withDestinationPath: outside.path)
            Thread.sleep(forTimeInterval: 1.2)
            let pruned = try Binary.tessera("prune", "--leeway", "0s", in: site.url)
            #expect(pruned.status != 0, "\(pruned.stdout)")
            #expect(pruned.stderr.contains("outside the site folder"), "\(pruned.stderr)")
            #expect(try outside.read("precious.txt") == "keep me\n")
        }
    }

    @Test func linksThatStayInsideTheSiteAreFine() throws { try linksThatStayInsideTheSiteAreFineBody() }
    private func linksThatStayInsideTheSiteAreFineBody() throws {
        let site = try TemporaryFolder()
        try FileManager.default.createDirectory(at: site.file("public"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: site.file("out").path, withDestinationPath: site.file("public").path)
        let minted = try Binary.tessera("mint", "--json", "--project", "p", "--role", "r", in: site.url)
        #expect(minted.status == 0, "\(minted.stderr)")
        let id = try #require(minted.json?["id"] as? String)
        #expect(try Binary.tessera("build", in: site.url).status == 0)
        #expect(FileManager.default.fileExists(atPath: site.file("public/i/\(id)/index.html").path))
        // A site reached through '..' in --site is still the user's own choice.
        let nested = site.file("public").path + "/../"
        #expect(try Binary.tessera("build", "--site", nested).status == 0)
    }

    /// `tessera build` killed at random moments: every file in `out/` is whole, old or new, and the next build sweeps what was left.
    @Test(.timeLimit(.minutes(3))) func killedBuildsLeaveNoPartialFiles() throws { try killedBuildsLeaveNoPartialFilesBody() }
    private func killedBuildsLeaveNoPartialFilesBody() throws {
        let site = try TemporaryFolder()
        try site.write("tessera.toml", "base_url = \"https://invites.example.org/\"\n")
        let minted = try Binary.tessera("mint", "--json", "--count", "600", "--project", "p", "--role", "r", in: site.url)
        #expect(minted.status == 0, "\(minted.stderr)")
        let tokens = Dictionary(uniqueKeysWithValues: minted.lines.compactMap { line -> (String, String)? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let id = object["id"] as? String, let token = object["token"] as? String else { return nil }
            return (id, token)
        })
        #expect(tokens.count == 600)
        // Revoke a third (by editing revoked.txt, as people do), so that builds also withdraw pages and move tokens.
        let handle = try FileHandle(forWritingTo: site.file("revoked.txt"))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(tokens.keys.sorted().prefix(200).map { $0 + "\n" }.joined().utf8))
        try handle.close()

        var killedMidway = 0
        for round in 0..<6 {
            let build = Process()
            build.executableURL = Binary.products.appendingPathComponent("tessera")
            build.arguments = ["build"]
            build.currentDirectoryURL = site.url
            build.standardOutput = FileHandle.nullDevice
            build.standardError = FileHandle.nullDevice
            try build.run()
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.4))
            if build.isRunning {
                kill(build.processIdentifier, SIGKILL)
                killedMidway += 1
            }
            build.waitUntilExit()
            try expectWholeFiles(in: site, tokens: tokens, round: round)
        }
        #expect(killedMidway > 0, "no build was interrupted: the test proved nothing")

        let finished = try Binary.tessera("build", in: site.url)
        #expect(finished.status == 0, "\(finished.stderr)")
        try expectWholeFiles(in: site, tokens: tokens, round: -1)
        let leftovers = FileManager.default.enumerator(atPath: site.file("out").path)?.compactMap { $0 as? String }
            .filter { ($0 as NSString).lastPathComponent.hasPrefix(".") && ($0.contains(".tmp-") || $0.contains(".new-")) } ?? []
        #expect(leftovers.isEmpty, "left in out/: \(leftovers.prefix(5))")
        let withdrawn = try FileManager.default.contentsOfDirectory(atPath: site.file("withdrawn").path).filter { $0.hasSuffix(".token") }
        #expect(withdrawn.count == 200)
    }

    /// Every visible file under out/ is complete: pages end with </html>, QR codes with </svg>, tokens are the minted ones.
    private func expectWholeFiles(in site: TemporaryFolder, tokens: [String: String], round: Int) throws {
        var partial: [String] = []
        for (id, token) in tokens {
            let folder = "out/i/\(id)/"
            if let page = try? site.read(folder + "index.html"), !page.hasSuffix("</html>\n") { partial.append(folder + "index.html") }
            if let svg = try? site.read(folder + "qr.svg"), !svg.hasSuffix("</svg>\n") { partial.append(folder + "qr.svg") }
            if let kept = try? site.read(folder + "token"), kept != token + "\n" { partial.append(folder + "token") }
            if let kept = try? site.read("withdrawn/\(id).token"), kept != token + "\n" { partial.append("withdrawn/\(id).token") }
        }
        if let keys = try? Data(contentsOf: site.file("out/.well-known/tessera/keys.json")),
           (try? JSONSerialization.jsonObject(with: keys)) == nil { partial.append("keys.json") }
        if let list = try? site.read("out/.well-known/tessera/revoked.paseto") {
            let checked = try Binary.verify("check", "--revoked", site.file("out/.well-known/tessera/revoked.paseto").path, tokens.values.first!, in: site.url)
            if checked.status == 2 || !list.hasSuffix("\n") { partial.append("revoked.paseto: \(checked.stderr)") }
        }
        #expect(partial.isEmpty, "round \(round): partial files \(partial.prefix(5))")
    }
}
