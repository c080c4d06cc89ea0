import FuzzSupport
import TesseraCore
import TesseraMint

// Input: the text of `revoked.txt`, as edited by people and by `tessera revoke`.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = input(data, size)
    let lineCount = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).count
    // A file saved with CRLF line ends reads as the same file with LF.
    if !text.contains(0x0d) {
        let crlf = text.flatMap { $0 == 0x0a ? [0x0d, 0x0a] : [$0] }
        switch (Result { () throws(RevocationList.ParseError) in try RevocationList(parsing: text) },
                Result { () throws(RevocationList.ParseError) in try RevocationList(parsing: crlf) }) {
        case (.success(let a), .success(let b)): require(a == b, "CRLF line ends read differently")
        case (.failure(let a), .failure(let b)): require(a.line == b.line, "CRLF line ends move the error from line \(a.line) to \(b.line)")
        default: require(false, "CRLF line ends change whether the list is valid")
        }
    }
    let list: RevocationList
    do {
        list = try RevocationList(parsing: text)
    } catch {
        require((1...lineCount).contains(error.line), "error on line \(error.line) of \(lineCount)")
        do {
            _ = try RevocationFile(parsing: text)
            require(false, "RevocationFile accepted what RevocationList refused")
        } catch let fileError {
            require(fileError == error, "RevocationFile and RevocationList refuse differently")
        }
        return 0
    }

    // Every entry is written as text that reads back as the same entry.
    for entry in list.entries {
        require(RevocationList.Entry(entry.description) == entry, "entry \(entry) does not re-parse")
    }
    let written = Array(list.entries.map(\.description).joined(separator: "\n").utf8)
    require((try? RevocationList(parsing: written)) == list, "the list written out reads back differently")

    guard let file = try? RevocationFile(parsing: text) else {
        require(false, "RevocationFile refused what RevocationList accepted")
        return 0
    }
    require(file.list == list, "RevocationFile read another list")
    for (line, entry) in file.lines {
        require((1...lineCount).contains(line), "entry on line \(line) of \(lineCount)")
        var widened = list
        widened.insert(entry)
        require(widened == list, "line \(line) holds \(entry), which the list lacks")
    }

    // Un-revoking every invitation id keeps every other entry and leaves a valid file.
    let (remaining, removed) = file.removingInvitations(list.invitationIDs)
    let invitationLines = file.lines.filter { if case .invitation = $0.entry { return true } else { return false } }
    require(removed.count == invitationLines.count, "removed \(removed.count) of \(invitationLines.count) invitation lines")
    if let after = try? RevocationList(parsing: remaining) {
        require(after.invitationIDs.isEmpty && after.projects == list.projects && after.keyIDs == list.keyIDs
                && after.issuedBefore == list.issuedBefore, "removing invitations changed other entries")
    } else {
        require(false, "removing invitations left an invalid file")
    }

    // `tessera revoke` appends a line with any reason; the file then holds exactly that entry more.
    let id = "Qm9vb2JhcmJhemJhenF1eA"
    let line = RevocationFile.line(for: .invitation(id), reason: String(decoding: text, as: UTF8.self), at: Fixtures.now)
    let appended = text + file.appendix([line])
    guard let grown = try? RevocationFile(parsing: appended) else {
        require(false, "appending a revocation made the file invalid")
        return 0
    }
    var expected = list
    expected.insert(.invitation(id))
    require(grown.list == expected, "appending a revocation changed other entries")
    require(grown.lines.last?.entry == .invitation(id), "the appended entry is not the last line")

    // `tessera build` publishes the list signed; a verifier reads back the same entries.
    let published = SignedRevocationList(issuedAt: Fixtures.now, list: list)
    let token = Array(Minter(key: Fixtures.signingKey).sign(published).utf8)
    if list.keyIDs.contains(Fixtures.signingKey.publicKey.id) {
        // A list that revokes its own signer is refused (issue 11: a stolen key cannot sign the list).
        require((try? SignedRevocationList(verifying: token, keyring: Fixtures.keyring)) == nil,
                "a published list that revokes its own signer was accepted")
    } else if token.count <= SignedToken.maximumLength {
        do {
            let read = try SignedRevocationList(verifying: token, keyring: Fixtures.keyring)
            require(read == published, "the published list reads back differently")
        } catch {
            require(false, "the published list is refused: \(error)")
        }
    }
    return 0
}
