import Foundation
import Testing
import TesseraTestSupport

/// The hostile vectors through the built `tessera-verify`: exact exit code and JSON reason for each.
@Suite(.offThePool) struct HostileVectorCLITests {
    @Test func everyVectorGivesItsExitCodeAndReason() throws { try everyVectorGivesItsExitCodeAndReasonBody() }
    private func everyVectorGivesItsExitCodeAndReasonBody() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TesseraCoreTests/Vectors/hostile")
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("keys.json"))) as? [String: Any])
        let site = try TemporaryFolder()
        try FileManager.default.createDirectory(at: site.file("keys"), withIntermediateDirectories: true)
        // Import the trusted public keys the way an operator would.
        for key in try #require(keys["trusted"] as? [[String: String]]) {
            let result = try Binary.tessera("keys", "import", "-", "--name", key["name"]!, in: site.url, stdin: key["public"]! + "\n")
            #expect(result.status == 0, "\(result.stderr)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") && $0 != "keys.json" }.sorted()
        #expect(files.count >= 80)
        for file in files {
            let vector = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(file))) as? [String: Any])
            var arguments = ["check", "--json", "--at", vector["at"] as! String, "-"]
            if let project = vector["project"] as? String { arguments += ["--project", project] }
            if let subject = vector["subject"] as? String { arguments += ["--subject", subject] }
            if let audience = vector["audience"] as? String { arguments += ["--audience", audience] }
            try site.write("revoked.txt", ((vector["revoked"] as? [String]) ?? []).joined(separator: "\n") + "\n")
            let token = vector["token"] as! String
            let result = try Binary.run("tessera-verify", arguments, in: site.url, stdin: token + "\n")
            let expect = vector["expect"] as! String
            #expect(result.status == Int32(vector["exit"] as! Int), "\(file): exit \(result.status) \(result.stderr)")
            let json = try #require(result.json, "\(file): no JSON")
            if expect == "valid" {
                #expect(json["granted"] as? Bool == true, "\(file)")
            } else {
                #expect(json["reason"] as? String == expect, "\(file): \(json)")
            }
            if token.count > 40 {
                #expect(!result.stdout.contains(token) && !result.stderr.contains(token), "\(file): token echoed")
            }
        }
    }

    /// `tessera show` prints the claims of a token it could not verify, for diagnosis: a label
    /// with escape sequences must not move the cursor over the "NOT VERIFIED" line.
    @Test func showEscapesControlCharactersInClaims() throws { try showEscapesControlCharactersInClaimsBody() }
    private func showEscapesControlCharactersInClaimsBody() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TesseraCoreTests/Vectors/hostile")
        let vector = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("claim_label_control_character.json"))) as? [String: Any])
        let token = try #require(vector["token"] as? String)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("keys.json"))) as? [String: Any])
        let trusted = try #require((keys["trusted"] as? [[String: String]])?.first?["public"])
        let site = try TemporaryFolder()
        #expect(try Binary.tessera("keys", "import", "-", "--name", "test", in: site.url, stdin: trusted + "\n").status == 0)
        let shown = try Binary.tessera("show", "-", in: site.url, stdin: token + "\n")
        #expect(shown.status == 10, "\(shown.stderr)")
        #expect(shown.stdout.contains("NOT VERIFIED"))
        #expect(!shown.stdout.unicodeScalars.contains { $0.value == 0x1b }, "an escape character reached the terminal")
        #expect(shown.stdout.contains("talk\\u001b[1A\\u001b[2Ksignature  valid"))
    }
}
