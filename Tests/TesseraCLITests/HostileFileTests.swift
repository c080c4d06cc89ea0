import Foundation
import Testing
import TesseraTestSupport

/// The hostile files of `HostileFiles/` (written by its `make.py`) through the built binaries: each
/// revocation list, key file and settings file in a fresh site, checked for its exact exit code, its
/// error line (with the line number where one is known), check's JSON reason, that nothing was
/// granted or minted by mistake, and that no secret or token was echoed.
@Suite(.offThePool) struct HostileFileTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("HostileFiles")

    @Test func revocationLists() throws { try revocationListsBody() }
    private func revocationListsBody() throws {
        let template = try Template.shared.get()
        let cases = try HostileCase.load("revocation")
        #expect(cases.count >= 40)
        for item in cases {
            let site = try TemporaryFolder()
            try site.write("keys/main.public.pem", template.publicPEM)
            try item.write(to: site.file("revoked.txt"))
            let result = try item.timed { try Binary.verify("check", "--json", template.token, in: site.url) }
            item.expectCheck(result)
            #expect(!result.stdout.contains(template.token) && !result.stderr.contains(template.token), "\(item.name): token echoed")
        }
    }

    @Test func publicKeys() throws { try publicKeysBody() }
    private func publicKeysBody() throws {
        let template = try Template.shared.get()
        let cases = try HostileCase.load("public-key")
        #expect(cases.count >= 40)
        for item in cases {
            let site = try TemporaryFolder()
            if item.run == "import" {
                try item.expectImport(in: site)
                continue
            }
            try item.write(to: site.file("keys/main.public.pem"))
            let result = try Binary.verify("check", "--json", item.token ?? template.token, in: site.url)
            item.expectCheck(result)
            item.expectNoKeyMaterialEchoed(result)
        }
    }

    @Test func secretKeys() throws { try secretKeysBody() }
    private func secretKeysBody() throws {
        let template = try Template.shared.get()
        let cases = try HostileCase.load("secret-key")
        #expect(cases.count >= 25)
        for item in cases {
            let site = try TemporaryFolder()
            if item.run == "import" {
                try item.expectImport(in: site)
                continue
            }
            try site.write("keys/main.public.pem", item.public == "other" ? template.otherPublicPEM : template.publicPEM)
            try item.write(to: site.file("keys/main.secret.pem"), mode: item.mode ?? 0o600)
            let result = try Binary.tessera("mint", "--project", "hostile", "--role", "r", "--json", in: site.url)
            item.expectStatus(result)
            item.expectNoKeyMaterialEchoed(result)
            let pages = (try? FileManager.default.contentsOfDirectory(atPath: site.file("out/i").path)) ?? []
            if item.exit == 0 {
                // Minted with the site's key, not some other key the file also held.
                let token = try #require(result.json?["token"] as? String, "\(item.name): no token")
                try site.write("keys/main.public.pem", template.publicPEM)
                let check = try Binary.verify("check", "--json", token, in: site.url)
                #expect(check.status == 0, "\(item.name): the minted token does not verify with the site's key: \(check.stdout)")
            } else {
                #expect(pages.filter { $0 != "index.html" }.isEmpty, "\(item.name): minted although the key was refused")
            }
        }
    }

    @Test func settings() throws { try settingsBody() }
    private func settingsBody() throws {
        let template = try Template.shared.get()
        let cases = try HostileCase.load("settings")
        #expect(cases.count >= 50)
        for item in cases {
            let site = try TemporaryFolder()
            try site.write("keys/main.public.pem", template.publicPEM)
            try site.write("keys/main.secret.pem", template.secretPEM)
            chmod(site.file("keys/main.secret.pem").path, 0o600)
            try item.write(to: site.file("tessera.toml"))
            let mint = try Binary.tessera("mint", "--project", "hostile", "--role", "r", in: site.url)
            item.expectStatus(mint)
            // The verifier reads tessera.toml too (audience, ledger): it must fail as closed as mint.
            let check = try Binary.verify("check", "--json", template.token, in: site.url)
            item.expectCheck(check, as: item.check ?? (item.exit == 0 ? .init(exit: 0, reason: "granted") : .init(exit: item.exit, reason: "error", error: item.error)))
        }
    }
}

/// The site key of `HostileFiles/site.secret.pem` and one invitation it signed (project hostile, role r).
struct Template {
    let secretPEM: String
    let publicPEM: String
    let otherPublicPEM: String
    let token: String

    static let shared = Result { try Template() }

    init() throws {
        let site = try TemporaryFolder()
        let secret = HostileFileTests.folder.appendingPathComponent("site.secret.pem")
        let imported = try Binary.tessera("keys", "import", secret.path, "--name", "main", in: site.url)
        guard imported.status == 0 else { throw HostileCase.Failure("cannot import the site key: \(imported.stderr)") }
        let minted = try Binary.tessera("mint", "--project", "hostile", "--role", "r", "--json", in: site.url)
        guard minted.status == 0, let token = minted.json?["token"] as? String else { throw HostileCase.Failure("cannot mint: \(minted.stderr)") }
        self.token = token
        secretPEM = try String(contentsOf: secret, encoding: .utf8)
        publicPEM = try site.read("keys/main.public.pem")
        otherPublicPEM = try String(contentsOf: HostileFileTests.folder.appendingPathComponent("other.public.pem"), encoding: .utf8)
    }
}

/// One file of a kind's manifest; the fields are described in `HostileFiles/make.py`.
struct HostileCase {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// What `check --json` answers.
    struct Check {
        var exit: Int32
        var reason: String
        var error: String?
    }

    let kind: String
    let name: String
    let exit: Int32
    let error: String?
    let reason: String?
    let output: String?
    let mode: mode_t?
    let run: String?
    let `public`: String?
    let check: Check?
    let token: String?
    let seconds: Double?
    let generate: (head: String, repeat: String, bytes: Int, tail: String)?

    static let fields: Set<String> = ["defect", "exit", "error", "reason", "output", "mode", "run", "public", "check", "token", "seconds", "generate"]

    /// Every case of a kind; a file without an entry, an entry without a file or an unknown field is an error.
    static func load(_ kind: String) throws -> [HostileCase] {
        let folder = HostileFileTests.folder.appendingPathComponent(kind)
        let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as? [String: [String: Any]])
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)).subtracting(["manifest.json"])
        var cases: [HostileCase] = []
        for (name, entry) in manifest.sorted(by: { $0.key < $1.key }) {
            let unknown = Set(entry.keys).subtracting(fields)
            guard unknown.isEmpty else { throw Failure("\(kind)/\(name): unknown fields \(unknown.sorted())") }
            guard entry["defect"] is String, let exit = entry["exit"] as? Int else { throw Failure("\(kind)/\(name): no defect or exit") }
            let generate = entry["generate"] as? [String: Any]
            guard (generate != nil) != files.contains(name) else {
                throw Failure("\(kind)/\(name): \(generate == nil ? "no such file" : "generated, yet a file of that name exists")")
            }
            var check: Check?
            if let object = entry["check"] as? [String: Any] {
                guard Set(object.keys).isSubset(of: ["exit", "reason", "error"]), let exit = object["exit"] as? Int, let reason = object["reason"] as? String else {
                    throw Failure("\(kind)/\(name): check needs exit and reason, and nothing but error besides")
                }
                check = Check(exit: Int32(exit), reason: reason, error: object["error"] as? String)
            }
            cases.append(HostileCase(
                kind: kind, name: name, exit: Int32(exit), error: entry["error"] as? String, reason: entry["reason"] as? String,
                output: entry["output"] as? String, mode: (entry["mode"] as? String).flatMap { mode_t($0, radix: 8) },
                run: entry["run"] as? String, public: entry["public"] as? String, check: check, token: entry["token"] as? String, seconds: entry["seconds"] as? Double,
                generate: generate.map { ($0["head"] as? String ?? "", $0["repeat"] as? String ?? "", $0["bytes"] as? Int ?? 0, $0["tail"] as? String ?? "") }))
        }
        let orphans = files.subtracting(manifest.keys)
        guard orphans.isEmpty else { throw Failure("\(kind): files missing from manifest.json: \(orphans.sorted())") }
        return cases
    }

    /// The file's bytes: as committed, or made now for the ones too big to commit.
    func contents() throws -> Data {
        guard let generate else { return try Data(contentsOf: HostileFileTests.folder.appendingPathComponent(kind).appendingPathComponent(name)) }
        var bytes = Array(generate.head.utf8)
        bytes.reserveCapacity(generate.bytes + generate.tail.utf8.count + 64)
        let piece = Array(generate.repeat.utf8)
        if generate.repeat.contains("{id}") {
            let parts = generate.repeat.components(separatedBy: "{id}")
            var counter = 0
            while bytes.count < generate.bytes {
                bytes += Array(parts[0].utf8) + Self.invitationID(counter) + Array(parts[1].utf8)
                counter += 1
            }
        } else {
            let copies = max(0, (generate.bytes - bytes.count + piece.count - 1) / max(piece.count, 1))
            for _ in 0..<copies { bytes += piece }
        }
        return Data(bytes + Array(generate.tail.utf8))
    }

    /// A distinct, well-formed invitation id for each number: 21 base64url digits, and a last one with no bits past 16 bytes.
    static func invitationID(_ number: Int) -> [UInt8] {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var digits = [UInt8](repeating: UInt8(ascii: "B"), count: 22)
        var rest = number
        for index in 0..<6 {
            digits[index] = alphabet[rest % 64]
            rest /= 64
        }
        digits[21] = UInt8(ascii: "A")
        return digits
    }

    func write(to url: URL, mode: mode_t = 0o644) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents().write(to: url)
        chmod(url.path, mode)
    }

    /// Runs `body`, and with `seconds` keeps the fastest of three runs, which must take less than that.
    func timed(_ body: () throws -> Binary.Result) throws -> Binary.Result {
        guard let seconds else { return try body() }
        var best = Duration.seconds(3600)
        var result: Binary.Result?
        for _ in 0..<3 where best >= .seconds(seconds) {
            let clock = ContinuousClock()
            let started = clock.now
            result = try body()
            best = min(best, clock.now - started)
        }
        #expect(best < .seconds(seconds), "\(kind)/\(name): took \(best), more than \(seconds) s")
        return result!
    }

    func expectStatus(_ result: Binary.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == exit, "\(kind)/\(name): exit \(result.status), not \(exit): \(result.stderr) \(result.stdout)", sourceLocation: sourceLocation)
        if let error {
            #expect(result.stderr.contains(error), "\(kind)/\(name): stderr lacks \"\(error)\": \(result.stderr)", sourceLocation: sourceLocation)
        }
        if let output {
            #expect(result.stdout.contains(output), "\(kind)/\(name): stdout lacks \"\(output)\": \(result.stdout)", sourceLocation: sourceLocation)
        }
        if exit != 0 {
            let errors = result.stderr.split(separator: "\n").filter { $0.hasPrefix("tessera: error: ") }
            #expect(errors.count == 1, "\(kind)/\(name): not one error line: \(result.stderr)", sourceLocation: sourceLocation)
        }
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(kind)/\(name): a control character reached the terminal", sourceLocation: sourceLocation)
    }

    /// `check --json`: the exit code, the reason, the error on standard error and in the JSON detail; a failure never grants.
    func expectCheck(_ result: Binary.Result, as expected: Check? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let expected = expected ?? Check(exit: exit, reason: reason ?? "?", error: error)
        let what = "\(kind)/\(name) (check)"
        #expect(result.status == expected.exit, "\(what): exit \(result.status), not \(expected.exit): \(result.stdout)", sourceLocation: sourceLocation)
        guard let json = result.json else {
            Issue.record("\(what): no JSON: \(result.stdout) \(result.stderr)", sourceLocation: sourceLocation)
            return
        }
        if expected.reason == "granted" {
            #expect(json["granted"] as? Bool == true, "\(what): \(json)", sourceLocation: sourceLocation)
            return
        }
        #expect(json["granted"] as? Bool == false, "\(what): granted by mistake", sourceLocation: sourceLocation)
        #expect(json["reason"] as? String == expected.reason, "\(what): \(json)", sourceLocation: sourceLocation)
        if let error = expected.error {
            let detail = Self.displayable(json["detail"] as? String ?? "")
            // Foundation's JSON reader drops a U+FEFF inside a string; the binary wrote it.
            #expect(detail.contains(error) || detail.contains(error.replacing("\\ufeff", with: "")), "\(what): the JSON detail lacks \"\(error)\": \(detail)", sourceLocation: sourceLocation)
            if expected.exit == 2 {
                #expect(result.stderr.contains(error), "\(what): stderr lacks \"\(error)\": \(result.stderr)", sourceLocation: sourceLocation)
            }
        }
        #expect(!result.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(what): a control character reached the terminal", sourceLocation: sourceLocation)
        #expect(result.stdout.utf8.count + result.stderr.utf8.count < 2000, "\(what): \(result.stdout.utf8.count + result.stderr.utf8.count) bytes of output", sourceLocation: sourceLocation)
    }

    /// `tessera keys import FILE`: the exit code and messages; a refused key leaves no file behind.
    func expectImport(in site: TemporaryFolder) throws {
        try write(to: site.file(name))
        let result = try Binary.tessera("keys", "import", name, "--name", "imported", in: site.url)
        expectStatus(result)
        expectNoKeyMaterialEchoed(result)
        let stored = ["keys/imported.public.pem", "keys/imported.secret.pem"].filter { FileManager.default.fileExists(atPath: site.file($0).path) }
        if exit == 0 {
            #expect(stored.contains("keys/imported.public.pem"), "\(kind)/\(name): imported nothing")
        } else {
            #expect(stored.isEmpty, "\(kind)/\(name): refused, yet stored \(stored)")
        }
    }

    /// No run of 40 or more base64 characters from the file (a key's body, a PASERK) appears in the output.
    func expectNoKeyMaterialEchoed(_ result: Binary.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let text = try? contents().prefix(1 << 16) else { return }
        let isKeyCharacter: (UInt8) -> Bool = { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || [0x2b, 0x2f, 0x2d, 0x5f].contains(byte)
        }
        let runs = text.split(whereSeparator: { !isKeyCharacter($0) }).filter { $0.count >= 40 }.map { String(decoding: $0.prefix(40), as: UTF8.self) }
        for run in runs {
            #expect(!result.stdout.contains(run) && !result.stderr.contains(run), "\(kind)/\(name): key material echoed", sourceLocation: sourceLocation)
        }
    }

    /// What the tools print for a quoted value: control characters, bidirectional controls and a byte order mark as `\u001b`.
    static func displayable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7f...0x9f, 0x200e, 0x200f, 0x202a...0x202e, 0x2066...0x2069, 0xfeff:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
