import Foundation
import Testing
@testable import TesseraCore
@testable import TesseraMint
import TesseraTestSupport

/// The official PASETO v4.public and PASERK k4 vectors (`Vectors/paseto`, see SOURCE.md), through one runner.
@Suite(.offThePool) struct OfficialVectorTests {
    static let v4Fields: Set<String> = ["name", "expect-fail", "nonce", "key", "public-key", "secret-key", "secret-key-seed",
                                        "secret-key-pem", "public-key-pem", "token", "payload", "footer", "implicit-assertion"]

    @Test func publicTokensVerifyAndReproduceByteForByte() throws {
        let cases = try Vectors.official("v4.json", knownFields: Self.v4Fields).filter { ($0["name"] as! String).hasPrefix("4-S-") }
        #expect(cases.count == 3)
        for test in cases {
            let name = test["name"] as! String
            let token = test["token"] as! String
            let payload = Array((test["payload"] as! String).utf8)
            let footer = Array((test["footer"] as! String).utf8)
            let implicit = Array((test["implicit-assertion"] as! String).utf8)
            let publicKey = try #require(PublicKey(rawRepresentation: Vectors.hex(test["public-key"] as! String)))
            let signingKey = try #require(SigningKey(seed: Vectors.hex(test["secret-key-seed"] as! String)))

            let parsed = try SignedToken(parsing: Array(token.utf8))
            #expect(parsed.message == payload, "\(name): payload")
            #expect(parsed.footer == footer, "\(name): footer")
            #expect(parsed.isSigned(by: publicKey, implicitAssertion: implicit), "\(name): must verify")
            if !implicit.isEmpty {
                #expect(!parsed.isSigned(by: publicKey), "\(name): must fail without its implicit assertion")
            }

            // Ed25519 here is deterministic, so signing the same input must give the very same token.
            let signature = signingKey.signature(for: SignedToken.signingInput(message: payload, footer: footer, implicitAssertion: implicit))
            var rebuilt = SignedToken.header + Base64URL.encode(payload + signature)
            if !footer.isEmpty { rebuilt += "." + Base64URL.encode(footer) }
            #expect(rebuilt == token, "\(name): reproduced byte for byte")

            #expect(signingKey.publicKey == publicKey)
            #expect(signingKey.seed + publicKey.rawRepresentation == Vectors.hex(test["secret-key"] as! String))
            #expect(try SigningKey(pem: test["secret-key-pem"] as! String).seed == signingKey.seed, "\(name): PKCS#8 PEM")
            #expect(try PublicKey(pem: test["public-key-pem"] as! String) == publicKey, "\(name): SPKI PEM")
            #expect(signingKey.pemRepresentation.contains("MC4CAQAwBQYDK2VwBCIEILTL+0PfTOIQcn2VPkpxMwf6Gbt9n4UEFDjZ4RuUKjd0"))
        }
    }

    @Test func publicTokenWithSymmetricKeyFails() throws {
        let test = try #require(try Vectors.official("v4.json", knownFields: Self.v4Fields).first { $0["name"] as? String == "4-F-2" })
        #expect(test["expect-fail"] as? Bool == true)
        let token = Array((test["token"] as! String).utf8)
        let implicit = Array((test["implicit-assertion"] as! String).utf8)
        let parsed = try SignedToken(parsing: token)
        // A v4.local key is not an Ed25519 public key: using its bytes as one must not verify.
        if let misused = PublicKey(rawRepresentation: Vectors.hex(test["key"] as! String)) {
            #expect(!parsed.isSigned(by: misused, implicitAssertion: implicit))
        }
        let s1 = try #require(try Vectors.official("v4.json", knownFields: Self.v4Fields).first { $0["name"] as? String == "4-S-1" })
        let realKey = try #require(PublicKey(rawRepresentation: Vectors.hex(s1["public-key"] as! String)))
        #expect(!parsed.isSigned(by: realKey, implicitAssertion: implicit))
        // And the whole verifier refuses it.
        let verifier = Verifier(keyring: Keyring([realKey]))
        #expect(throws: Denial.self) { try verifier.verify(token, at: .now) }
    }

    @Test func paserkPublic() throws {
        for test in try Vectors.official("k4.public.json", knownFields: ["name", "expect-fail", "key", "paserk", "comment"]) {
            let key = Vectors.hex(test["key"] as! String)
            if test["expect-fail"] as! Bool {
                #expect(PublicKey(rawRepresentation: key) == nil, "\(test["name"]!)")
            } else {
                let paserk = test["paserk"] as! String
                let parsed = try #require(PublicKey(rawRepresentation: key))
                #expect(parsed.paserk == paserk)
                #expect(PublicKey(paserk: paserk)?.rawRepresentation == key)
            }
        }
    }

    @Test func paserkSecret() throws {
        for test in try Vectors.official("k4.secret.json", knownFields: ["name", "expect-fail", "key", "secret-key-seed", "public-key", "paserk", "comment"]) {
            let key = Vectors.hex(test["key"] as! String)
            if test["expect-fail"] as! Bool {
                // Wrong length or wrong version: no 64-byte seed‖pk, so neither a key nor a PASERK of it.
                #expect(key.count != 64 || SigningKey(seed: Array(key.prefix(32)))?.publicKey.rawRepresentation != Array(key.suffix(32)), "\(test["name"]!)")
                #expect(throws: SigningKey.ImportError.self) { try SigningKey(paserk: PASERK.secretPrefix + Base64URL.encode(key)) }
            } else {
                let paserk = test["paserk"] as! String
                let signing = try #require(SigningKey(seed: Vectors.hex(test["secret-key-seed"] as! String)))
                #expect(signing.paserk == paserk)
                #expect(signing.publicKey.rawRepresentation == Vectors.hex(test["public-key"] as! String))
                #expect(try SigningKey(paserk: paserk).seed == signing.seed)
            }
        }
    }

    @Test func paserkPublicID() throws {
        for test in try Vectors.official("k4.pid.json", knownFields: ["name", "expect-fail", "key", "paserk", "comment"]) {
            let key = Vectors.hex(test["key"] as! String)
            if test["expect-fail"] as! Bool {
                #expect(PublicKey(rawRepresentation: key) == nil, "\(test["name"]!)")
            } else {
                #expect(PublicKey(rawRepresentation: key)?.id.rawValue == test["paserk"] as? String, "\(test["name"]!)")
                #expect(KeyID(test["paserk"] as! String) != nil)
            }
        }
    }

    @Test func paserkSecretID() throws {
        for test in try Vectors.official("k4.sid.json", knownFields: ["name", "expect-fail", "key", "seed", "paserk", "comment", "public-key"]) {
            let key = Vectors.hex(test["key"] as! String)
            if test["expect-fail"] as! Bool {
                #expect(throws: SigningKey.ImportError.self) { try SigningKey(paserk: PASERK.secretPrefix + Base64URL.encode(key)) }
            } else {
                let signing = try #require(SigningKey(seed: Vectors.hex(test["seed"] as! String)))
                #expect(signing.seed + signing.publicKey.rawRepresentation == key)
                #expect(signing.secretID == test["paserk"] as? String, "\(test["name"]!)")
            }
        }
    }

    /// RFC 7693 Appendix A, and the k4.pid caution: BLAKE2b-264 is not truncated BLAKE2b-512.
    @Test func blake2bIsTheParameterisedHash() {
        #expect(BLAKE2b.hash(Array("abc".utf8), outputLength: 64) == Vectors.hex(
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"))
        let pk = Vectors.hex("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f")
        #expect(PublicKey(rawRepresentation: pk)?.id.rawValue == "k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs")
        let input = Array("k4.pid.k4.public.".utf8) + Array(Base64URL.encode(pk).utf8)
        #expect(Array(BLAKE2b.hash(input, outputLength: 64).prefix(33)) != BLAKE2b.hash(input, outputLength: 33))
    }
}
