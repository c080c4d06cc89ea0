import ArgumentParser
import Testing
import TesseraCLI
@testable import TesseraVerifyCLI

/// `check` reads its common command lines without ArgumentParser (start-up time); these pin that the
/// two readers never disagree: the fast one either gives up (nil) or gives exactly what ArgumentParser gives.
@Suite struct CheckArgumentsTests {
    static let token = "v4.public.eyJ0ZXN0Ijp0cnVlfQ"

    /// Command lines both readers accept: the fast reader must read them, and read them the same.
    static let plain: [[String]] = [
        [token],
        [],
        ["-"],
        ["-", "--json"],
        [token, "--site", "/srv/site"],
        ["--site", "/srv/site", token],
        ["--site=/srv/site", "--keys=/etc/keys", token],
        ["--keys", "k", "--revoked", "r.txt", "--audience", "aud", "--leeway", "2m", token],
        ["--subject", "ann", "--project", "talk", "--at", "2026-12-01T18:00:00Z", token],
        ["--redeem", "--ledger", "sqlite:state/x.sqlite", "--json", token],
        ["--ledger=postgres://u:p@h/db", "--redeem", token],
        ["--revoked", "https://example.org/revoked.paseto", token],
        [""],
    ]

    /// Command lines the fast reader must leave to ArgumentParser (help, errors, anything unusual).
    static let unusual: [[String]] = [
        // An empty value: ArgumentParser's validation words the usage error (`--site: an empty path names no folder`).
        ["--site", "", token],
        ["--help"],
        ["-h"],
        ["--version"],
        ["--frobnicate", token],
        [token, token],
        ["--site", token, "--site", "x"],
        ["--json", "--json", token],
        ["--site"],
        ["--site", "--json", token],
        ["--subject", "-x", token],
        ["--subject=-x", token],
        // ArgumentParser takes the next argument as the value of `--subject=`.
        ["--subject=", token],
        ["--site=", token],
        ["--json=true", token],
        ["--redeem=yes", token],
        ["--", token],
        ["-j", token],
        ["-site", "x", token],
    ]

    @Test(arguments: plain)
    func theFastReaderReadsWhatArgumentParserReads(arguments: [String]) throws {
        let fast = try #require(CheckRequest(arguments: arguments[...]), "the fast reader gave up on \(arguments)")
        let parsed = try Check.parse(arguments)
        #expect(fast == parsed.request)
    }

    @Test(arguments: unusual)
    func theFastReaderLeavesUnusualLinesToArgumentParser(arguments: [String]) {
        #expect(CheckRequest(arguments: arguments[...]) == nil)
    }

    @Test func valuesLandInTheirOwnFields() throws {
        let request = try #require(CheckRequest(arguments: ["--site", "s", "--keys", "k", "--revoked", "r", "--audience", "a", "--leeway", "5s",
                                                            "--subject", "u", "--project", "p", "--at", "t", "--ledger", "l", "--redeem", "--json", "T"][...]))
        #expect(request == CheckRequest(token: "T", verifier: VerifierInputs(site: "s", keys: "k", revoked: "r", audience: "a", leeway: "5s"),
                                        subject: "u", project: "p", at: "t", redeem: true, ledger: "l", json: true))
    }
}
