import FuzzSupport
import TesseraCore
import TesseraMint

// Input: either a published list token (starting with `v4.`), checked as a remote verifier
// does, or the claims JSON of one, signed here with a trusted key so that every input
// reaches the claims.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let token: [UInt8]
    if bytes.starts(with: Array("v4.".utf8)) {
        token = bytes
    } else {
        guard !bytes.isEmpty else { return 0 }
        token = Fixtures.token(message: bytes, footer: Footer.encode(keyID: Fixtures.signingKey.publicKey.id))
    }
    let held = Timestamp(rfc3339: "2026-01-01T00:00:00Z")!
    let read: SignedRevocationList
    do {
        read = try SignedRevocationList(verifying: token, keyring: Fixtures.keyring)
    } catch {
        // A list refused on its own is refused whatever is held.
        require((try? SignedRevocationList(verifying: token, keyring: Fixtures.keyring, notOlderThan: held)) == nil,
                "a refused list is accepted when one is held")
        return 0
    }
    for entry in read.list.entries {
        require(RevocationList.Entry(entry.description) == entry, "entry \(entry) does not re-parse")
    }
    // Rollback: the same list is accepted when it is as new as the one held, refused when older.
    require((try? SignedRevocationList(verifying: token, keyring: Fixtures.keyring, notOlderThan: read.issuedAt)) == read,
            "a list as new as the held one is refused")
    do {
        _ = try SignedRevocationList(verifying: token, keyring: Fixtures.keyring, notOlderThan: read.issuedAt.adding(seconds: 1))
        require(false, "an older list is accepted")
    } catch {
        guard case .rollback = error else { require(false, "an older list is refused for \(error)"); return 0 }
    }
    // Re-publishing what was read gives the same entries.
    let republished = Array(Minter(key: Fixtures.signingKey).sign(SignedRevocationList(issuedAt: read.issuedAt, list: read.list)).utf8)
    if republished.count <= SignedToken.maximumLength {
        let again = try? SignedRevocationList(verifying: republished, keyring: Fixtures.keyring)
        require(again?.list == read.list, "a re-published list reads back differently")
    }
    return 0
}
