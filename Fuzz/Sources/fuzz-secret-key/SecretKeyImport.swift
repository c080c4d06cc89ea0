import FuzzSupport
import TesseraCore
import TesseraMint

// Input: a secret key file as `tessera keys import` and the key store read it (PKCS#8 PEM,
// v1 or v2, or a `k4.secret` PASERK).
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    let trimmed = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == " " }).first.map(String.init) ?? ""

    for candidate in [text, trimmed] {
        do {
            let key = try SigningKey(paserk: candidate)
            require(key.paserk == candidate, "k4.secret accepted in another spelling")
            checkKey(key)
        } catch .publicKeyMismatch {
            // Refused only when the public half really differs from the seed's.
            guard let raw = PASERK.decode(candidate, prefix: PASERK.secretPrefix, length: 64), let seeded = SigningKey(seed: Array(raw[..<32])) else {
                require(false, "mismatch reported for an unreadable k4.secret")
                return 0
            }
            require(seeded.publicKey.rawRepresentation != Array(raw[32...]), "a matching k4.secret was refused")
        } catch {
            if let raw = PASERK.decode(candidate, prefix: PASERK.secretPrefix, length: 64) {
                require(SigningKey(seed: Array(raw[..<32])) == nil, "a well-formed k4.secret was called invalid")
            }
        }
    }
    do {
        let key = try SigningKey(pem: text)
        checkKey(key)
        guard let (label, der) = try? PEM.decode(text) else { require(false, "a key was read from text PEM.decode refuses"); return 0 }
        require(label == "PRIVATE KEY" && der[16..<48] == key.seed[...], "the key is not the PEM's seed")
        if der.count == 83 { require(Array(der[51...]) == key.publicKey.rawRepresentation, "a v2 key with another public key") }
    } catch .publicKeyMismatch {
        guard let (_, der) = try? PEM.decode(text), der.count == 83 else { require(false, "mismatch without a v2 public key"); return 0 }
    } catch {}
    return 0
}

private func checkKey(_ key: SigningKey) {
    require(key.seed.count == 32, "seed length")
    require((try? SigningKey(paserk: key.paserk))?.seed == key.seed, "k4.secret does not round-trip")
    require((try? SigningKey(pem: key.pemRepresentation))?.seed == key.seed, "PEM does not round-trip")
    let message = Array("tessera".utf8)
    require(key.publicKey.isValidSignature(key.signature(for: message), for: message), "the key's signature does not verify")
}
