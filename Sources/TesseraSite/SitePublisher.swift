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

    /// The error correction of every QR code written: medium, readable with a sixth of it damaged.
    public static let qrErrorCorrection = QRCode.ErrorCorrection.medium

    /// The QR code for an invitation: its page's address when `base_url` is set, else nil (also
    /// when the address is too long for any QR code; `qrCodeProblem(for:)` says which).
    public func qrCode(for invitation: Invitation) -> QRCode? {
        guard let url = renderer.pageURL(for: invitation) else { return nil }
        return try? QRCode(text: url, errorCorrection: Self.qrErrorCorrection)
    }

    /// Why an invitation's page has no QR code, in words, or nil when it has one.
    public func qrCodeProblem(for invitation: Invitation) -> String? {
        guard let url = renderer.pageURL(for: invitation) else { return "the page has no public address until base_url is set" }
        let limit = QRCode.maximumBytes(errorCorrection: Self.qrErrorCorrection)
        guard url.utf8.count > limit else { return nil }
        return "the page's address is \(url.utf8.count) bytes long, too long for a QR code (at most \(limit) bytes)"
    }

    /// Writes a valid invitation's folder: `token`, `qr.svg` (when there is an address to encode) and `index.html`;
    /// with `slide`, also `slide.svg` and `slide.png`; with a `shortCode`, also `short` (the code) and the short
    /// link's page `out/s/<code>/index.html`.
    ///
    /// A new folder is written under a temporary name and renamed into place, so a reader (or
    /// a crash) sees no folder or a complete one, with one rename instead of one per file. An
    /// existing folder (`tessera build`) has each file replaced atomically. The short page is
    /// written after the folder, so it never leads to a page that is not there yet.
    public func publish(_ invitation: Invitation, token: String, slide: Bool = false, shortCode: String? = nil) throws(FileError) {
        let folder = site.invitationFolder(invitation.id)
        try site.checkContained(folder)
        let svg = qrCode(for: invitation).map(SiteRenderer.qrSVG)
        let page = renderer.invitationPage(invitation, token: token, qrSVG: svg, shortCode: shortCode)
        var files: [(name: String, contents: [UInt8])] = [
            ("token", Array((token + "\n").utf8)),
            ("index.html", Array(page.utf8)),
        ] + (svg.map { [("qr.svg", Array($0.utf8))] } ?? [])
        if slide, let drawn = renderer.slide(invitation, shortCode: shortCode) {
            files.append(("slide.svg", Array(drawn.svg().utf8)))
            files.append(("slide.png", drawn.png()))
        }
        if let shortCode { files.append(("short", Array((shortCode + "\n").utf8))) }
        if FileSystem.exists(folder) {
            for file in files {
                try FileSystem.writeAtomically(FileSystem.join(folder, file.name), contents: file.contents, durable: false)
            }
        } else {
            let staging = FileSystem.join(FileSystem.directoryName(of: folder), ".new-" + invitation.id)
            try FileSystem.removeTree(staging)
            try FileSystem.makeDirectory(staging)
            for file in files {
                try FileSystem.createExclusive(FileSystem.join(staging, file.name), contents: file.contents, mode: 0o644, durable: false)
            }
            try FileSystem.rename(staging, to: folder)
        }
        if let shortCode, let target = renderer.pageURL(for: invitation) {
            try publishShortPage(shortCode, pageURL: target)
        }
    }

    /// Writes `out/s/<code>/index.html`, the short link's page leading to `pageURL`.
    public func publishShortPage(_ code: String, pageURL: String) throws(FileError) {
        precondition(ShortCode.isValid(code), "a short code is checked before it names a folder")
        let folder = site.shortLinkFolder(code)
        try site.checkContained(folder)
        try FileSystem.makeDirectory(FileSystem.directoryName(of: folder))
        try FileSystem.makeDirectory(folder)
        try FileSystem.writeAtomically(FileSystem.join(folder, "index.html"), contents: Array(renderer.shortPage(pageURL: pageURL).utf8), durable: false)
    }

    /// Whether a short code is free: no page at `out/s/<code>/` yet.
    public func isShortCodeFree(_ code: String) -> Bool {
        !FileSystem.existsWithoutFollowing(site.shortLinkFolder(code))
    }

    /// Replaces an expired or revoked invitation's page by one saying so; its token, QR code, slide and short link's page leave what gets published.
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
        for name in ["token", "qr.svg", "slide.svg", "slide.png"] {
            try FileSystem.remove(FileSystem.join(folder, name))
        }
        // The code stays in `short`, so a build after the revocation is undone can bring the page back.
        if let code = site.shortCode(of: invitation.id) {
            try site.checkContained(site.shortLinkFolder(code))
            try FileSystem.removeTree(site.shortLinkFolder(code))
        }
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
