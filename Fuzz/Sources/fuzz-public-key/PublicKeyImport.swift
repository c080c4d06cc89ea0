import FuzzSupport
import TesseraCore

// Input: a public key file as `tessera keys import` and the keyring read it (SPKI PEM or
// `k4.public` PASERK), or a `k4.pid` key id as revocation entries and footers carry it.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    // As `tessera keys import` takes a PASERK: the first word of the file.
    let trimmed = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == " " }).first.map(String.init) ?? ""

    for candidate in [text, trimmed] {
        if let key = PublicKey(paserk: candidate) {
            // Strict base64url: the PASERK is the one spelling of the key.
            require(key.paserk == candidate, "k4.public accepted in a non-canonical spelling")
            checkKey(key)
        }
        if let id = KeyID(candidate) {
            require(exactly(id.rawValue, candidate) && candidate.utf8.count == 51, "k4.pid accepted in another form")
            require(Base64URL.encode(Base64URL.decode(candidate.utf8.dropFirst(7)) ?? []) == String(candidate.dropFirst(7)),
                    "k4.pid with a non-canonical digest")
        }
    }
    if let key = try? PublicKey(pem: text) {
        checkKey(key)
        guard let (label, der) = try? PEM.decode(text) else { require(false, "a key was read from text PEM.decode refuses"); return 0 }
        require(label == "PUBLIC KEY" && der == PEM.ed25519PublicPrefix + key.rawRepresentation, "the key is not the PEM's DER")
    }
    if let (label, der) = try? PEM.decode(text) {
        // The armor written for what was read reads back the same.
        let again = try? PEM.decode(PEM.encode(der, label: label))
        require(again?.label == label && again?.der == der, "PEM armor does not round-trip")
    }
    return 0
}

private func checkKey(_ key: PublicKey) {
    require(key.rawRepresentation.count == 32, "key length")
    require(PublicKey(paserk: key.paserk) == key, "k4.public does not round-trip")
    require((try? PublicKey(pem: key.pemRepresentation)) == key, "PEM does not round-trip")
    require(KeyID(key.id.rawValue) == key.id, "k4.pid does not re-parse")
    require(Keyring([key])[key.id] == key, "keyring lookup")
    // R = the identity point, S = 0 satisfies [S]B = R + [k]A for every message when A has small
    // order: a trusted key of that kind would let anyone forge tokens.
    let identity: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)
    let forged = identity + [UInt8](repeating: 0, count: 32)
    require(!key.isValidSignature(forged, for: Array("any message".utf8)), "a universal forgery verifies under \(key.paserk)")
}
