import TesseraCore

/// Writes `out/`: one folder per invitation (page, token, QR code) and the neutral index pages.
///
/// Every file is replaced atomically (temporary file + rename), so a reader or a crash
/// never sees half a page; `flush()` makes a batch durable with one sync.
public struct SitePublisher: Sendable {
    public let site: SiteFolder
    public let renderer: SiteRenderer

    public init(site: SiteFolder, renderer: SiteRenderer) {
        self.site = site
        self.renderer = renderer
    }

    /// The QR code for an invitation: its page's address when `base_url` is set, else nil.
    public func qrCode(for invitation: Invitation) -> QRCode? {
        guard let url = renderer.pageURL(for: invitation.id) else { return nil }
        return try? QRCode(text: url, errorCorrection: .medium)
    }

    /// Writes a valid invitation's folder: `token`, `qr.svg` (when there is an address to encode) and `index.html`.
    ///
    /// A new folder is written under a temporary name and renamed into place, so a reader (or
    /// a crash) sees no folder or a complete one, with one rename instead of one per file. An
    /// existing folder (`tessera build`) has each file replaced atomically.
    public func publish(_ invitation: Invitation, token: String) throws(FileError) {
        let folder = site.invitationFolder(invitation.id)
        try site.checkContained(folder)
        let svg = qrCode(for: invitation).map(SiteRenderer.qrSVG)
        let files: [(name: String, contents: [UInt8])] = [
            ("token", Array((token + "\n").utf8)),
            ("index.html", Array(renderer.invitationPage(invitation, token: token, qrSVG: svg).utf8)),
        ] + (svg.map { [("qr.svg", Array($0.utf8))] } ?? [])
        if FileSystem.exists(folder) {
            for file in files {
                try FileSystem.writeAtomically(FileSystem.join(folder, file.name), contents: file.contents, durable: false)
            }
            return
        }
        let staging = FileSystem.join(FileSystem.directoryName(of: folder), ".new-" + invitation.id)
        try FileSystem.removeTree(staging)
        try FileSystem.makeDirectory(staging)
        for file in files {
            try FileSystem.createExclusive(FileSystem.join(staging, file.name), contents: file.contents, mode: 0o644, durable: false)
        }
        try FileSystem.rename(staging, to: folder)
    }

    /// Replaces an expired or revoked invitation's page by one saying so; its token and QR code leave what gets published.
    ///
    /// The token moves to `withdrawn/<id>.token` (mode 0600, outside `out/`), so `tessera list`
    /// still knows the invitation and a later build can restore the page if the revocation is undone.
    public func withdraw(_ invitation: Invitation, token: [UInt8], reason: String) throws(FileError) {
        let folder = site.invitationFolder(invitation.id)
        let kept = site.withdrawnToken(invitation.id)
        try site.checkContained(folder)
        try site.checkContained(kept)
        try FileSystem.makeDirectory(folder)
        if !FileSystem.exists(kept) {
            try FileSystem.makeDirectory(FileSystem.directoryName(of: kept), mode: 0o700)
            try FileSystem.writeAtomically(kept, contents: token + [0x0a], mode: 0o600)
        }
        try FileSystem.writeAtomically(FileSystem.join(folder, "index.html"), contents: Array(renderer.invalidPage(invitation, reason: reason).utf8), durable: false)
        try FileSystem.remove(FileSystem.join(folder, "token"))
        try FileSystem.remove(FileSystem.join(folder, "qr.svg"))
    }

    /// Writes `out/index.html` and `out/i/index.html`.
    public func publishIndexes() throws(FileError) {
        try site.checkContained(FileSystem.join(site.out, "i/index.html"))
        try FileSystem.makeDirectory(FileSystem.join(site.out, "i"))
        try FileSystem.writeAtomically(FileSystem.join(site.out, "index.html"), contents: Array(renderer.indexPage().utf8), durable: false)
        try FileSystem.writeAtomically(FileSystem.join(site.out, "i/index.html"), contents: Array(renderer.listingPage().utf8), durable: false)
    }

    /// Writes `out/.well-known/tessera/keys.json`: kid and `k4.public` of every trusted key.
    public func publishKeyring(_ keyring: Keyring) throws(FileError) {
        let keys = keyring.keys.values.sorted { $0.id < $1.id }.map { key in
            JSONValue.object([("kid", .string(key.id.rawValue)), ("public", .string(key.paserk))])
        }
        let document = JSONValue.object([("keys", .array(keys))])
        try site.checkContained(FileSystem.join(wellKnown, "keys.json"))
        try FileSystem.makeDirectory(wellKnown)
        try FileSystem.writeAtomically(FileSystem.join(wellKnown, "keys.json"), contents: document.serialized() + [0x0a], durable: false)
    }

    /// Writes `out/.well-known/tessera/revoked.paseto`, the signed revocation list.
    public func publishRevocationList(_ token: String) throws(FileError) {
        try site.checkContained(FileSystem.join(wellKnown, "revoked.paseto"))
        try FileSystem.makeDirectory(wellKnown)
        try FileSystem.writeAtomically(FileSystem.join(wellKnown, "revoked.paseto"), contents: Array((token + "\n").utf8), durable: false)
    }

    private var wellKnown: String { FileSystem.join(site.out, ".well-known/tessera") }
}
