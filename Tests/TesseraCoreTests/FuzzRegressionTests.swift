import Testing
@testable import TesseraCore
@testable import TesseraMint
import TesseraTestSupport

/// Inputs the fuzz targets (`Fuzz/`, `scripts/fuzz.sh`) found, one test per defect.
@Suite(.offThePool) struct FuzzRegressionTests {
    /// fuzz-revocation: `before:…T00:00:00.5+02:00` was written back as `before:…T22:00:00Z`, so the
    /// published list (and `entries`) revoked less than `revoked.txt`: an invitation issued in that half
    /// second was revoked locally and valid for every verifier following the signed list.
    @Test func revocationBeforeWithFractionKeepsItWhenWritten() throws {
        let list = try RevocationList(parsing: Array("before:2026-05-01T00:00:00.5+02:00\n".utf8))
        let entry = try #require(list.entries.first)
        #expect(entry.description == "before:2026-04-30T22:00:00.5Z")
        #expect(RevocationList.Entry(entry.description) == entry)

        let minter = Minter(key: SigningKey(seed: [UInt8](repeating: 7, count: 32))!)
        let token = Array(minter.sign(SignedRevocationList(issuedAt: Timestamp(seconds: 1_780_000_000), list: list)).utf8)
        let published = try SignedRevocationList(verifying: token, keyring: Keyring([minter.key.publicKey]))
        #expect(published.list == list)

        let invitation = Invitation(id: "AAAAAAAAAAAAAAAAAAAAAA", project: "p", role: "r",
                                    issuedAt: try #require(Timestamp(rfc3339: "2026-04-30T22:00:00.2Z")), expiresAt: nil)
        #expect(list.entry(revoking: invitation, signedBy: minter.key.publicKey.id) != nil)
        #expect(published.list.entry(revoking: invitation, signedBy: minter.key.publicKey.id) != nil)
    }

    @Test(arguments: [
        ("2026-04-30T22:00:00.5Z", "2026-04-30T22:00:00.5Z"),
        ("2026-04-30T22:00:00.000000001Z", "2026-04-30T22:00:00.000000001Z"),
        ("2026-04-30T22:00:00.120+01:00", "2026-04-30T21:00:00.12Z"),
        ("2026-04-30T22:00:00.000Z", "2026-04-30T22:00:00Z"),
    ])
    func exactTextKeepsTheFraction(text: String, exact: String) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(time.exactRFC3339 == exact)
        #expect(Timestamp(rfc3339: time.exactRFC3339) == time)
    }

    /// fuzz-revocation: `before:0000-01-01T00:00:00+00:01` is an instant in the year -1. It was
    /// accepted, then written as `before:-1-12-31T23:59:00Z`, which no verifier reads: the signed
    /// list holding it was refused whole, so remote verifiers kept an older list.
    @Test(arguments: ["0000-01-01T00:00:00+00:01", "0000-01-01T00:59:59.999+01:00", "9999-12-31T23:59:59-00:01",
                      "9999-12-31T23:59:60Z", "9999-12-31T22:00:00-02:00"])
    func timeOutsideTheWritableYearsIsRefused(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
        #expect(RevocationList.Entry("before:" + text) == nil)
        #expect(throws: RevocationList.ParseError(line: 2, message: "\"before:\(text)\" is not an RFC 3339 time such as before:2026-11-01T00:00:00Z")) {
            try RevocationList(parsing: Array("project:lab\nbefore:\(text)\n".utf8))
        }
    }

    @Test(arguments: ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00-00:01", "9999-12-31T23:59:59.999999999Z", "9999-12-31T23:59:59+00:01"])
    func timeAtTheEdgesOfTheWritableYearsReadsBack(text: String) throws {
        let time = try #require(Timestamp(rfc3339: text))
        #expect(Timestamp(rfc3339: time.exactRFC3339) == time)
        let entry = try #require(RevocationList.Entry("before:" + text))
        #expect(RevocationList.Entry(entry.description) == entry)
    }

    /// fuzz-public-key: under a public key of small order (here the identity point, `k4.public.AQAA…`)
    /// the signature R = identity, S = 0 verified for any message: a keyring holding such a key
    /// accepted tokens anyone can make. Such keys still read as PASERK (the official vectors use
    /// the all-zero key), but nothing verifies under them.
    @Test(arguments: [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ])
    func nothingVerifiesUnderAKeyOfSmallOrder(hex: String) throws {
        let bytes = Vectors.hex(hex)
        let identity: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)
        let forged = identity + [UInt8](repeating: 0, count: 32)
        for encoding in [bytes, Array(bytes.dropLast()) + [bytes[31] | 0x80]] {
            guard let key = PublicKey(rawRepresentation: encoding) else { continue }  // not a point at all
            #expect(!key.isValidSignature(forged, for: Array("any message".utf8)))
            // The whole token: claims, a footer naming the key, the forged signature.
            let claims = Array(#"{"jti":"AAAAAAAAAAAAAAAAAAAAAA","iat":"2026-05-01T00:00:00Z","project":"p","role":"r"}"#.utf8)
            let token = SignedToken.header + Base64URL.encode(claims + forged) + "." + Base64URL.encode(Footer.encode(keyID: key.id))
            #expect(throws: Denial.self) { try Verifier(keyring: Keyring([key])).verify(Array(token.utf8), at: .now) }
        }
        // The one the fuzzer was given: `k4.public.AQAA…` reads, and is useless.
        #expect(PublicKey(paserk: "k4.public.AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") != nil)
    }

    @Test func signaturesOfRealKeysStillVerify() throws {
        for seed in [[UInt8](repeating: 0, count: 32), Array(0..<32), [UInt8](repeating: 0xff, count: 32)] {
            let key = try #require(SigningKey(seed: seed))
            let message = Array("tessera".utf8)
            #expect(key.publicKey.isValidSignature(key.signature(for: message), for: message))
        }
    }

    /// fuzz-settings: `tessera.toml` was split into lines as Characters, and "\r\n" is one Character, so a
    /// file saved with CRLF line ends was one long line: refused with "unexpected text after the value".
    @Test func settingsWithCRLFLineEndsReadAsWithLF() throws {
        let lf = "audience = \"gw.example.org\"\nroles = [\"viewer\"]\n\n[gateway]\nlisten = '127.0.0.1:9000'\n"
        let crlf = String(decoding: Array(lf.utf8).flatMap { $0 == 0x0a ? [0x0d, 0x0a] : [$0] }, as: UTF8.self)
        let settings = try Settings.parse(crlf)
        #expect(settings == (try Settings.parse(lf)))
        #expect(settings.audience == "gw.example.org")
        #expect(settings.gateway.listen == "127.0.0.1:9000")
        #expect {
            try Settings.parse("audience = \"a\"\r\n\r\nbogus = 1\r\n")
        } throws: { error in
            (error as? Settings.Error)?.line == 3
        }
    }
}
