import ArgumentParser
import Synchronization
import TesseraCLI
import TesseraCore
import TesseraMint
import TesseraSite

struct Mint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint invitations: a link page, QR code and token in out/i/<id>/ for each.",
        discussion: """
        The first run in an empty folder creates a signing key (keys/main.secret.pem, mode 0600), \
        out/ and an empty revoked.txt, and says so. Settings in tessera.toml (base_url, join_url, \
        audience, issuer, roles, default_role, default_expiry) apply unless a flag overrides them. \
        Tokens are bearer links: anyone holding one can use it, so they are printed only with --json.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Option(help: ArgumentHelp("The project joined (1-64 of A-Z a-z 0-9 . _ -).", valueName: "project"))
    var project: String

    @Option(help: ArgumentHelp("The permission granted (default: default_role from tessera.toml).", valueName: "role"))
    var role: String?

    @Option(name: .customLong("for"), help: ArgumentHelp("Only this subject (e.g. an email address) may accept it.", valueName: "subject"))
    var subject: String?

    @Option(help: ArgumentHelp("Signup: the account id the new user gets; usable once.", valueName: "id"))
    var uid: String?

    @Option(help: ArgumentHelp("The most distinct people who may accept it (default: unlimited).", valueName: "n"))
    var uses: Int?

    @Option(help: ArgumentHelp("When it expires: a span (14d, 36h, 90m), an RFC 3339 time, or 'never' (default: default_expiry, else 14d).", valueName: "when"))
    var expires: String?

    @Option(name: .customLong("not-before"), help: ArgumentHelp("Not valid before this RFC 3339 time.", valueName: "time"))
    var notBefore: String?

    @Flag(help: "Allow accepting it without signing in (open invitations only).")
    var anonymous = false

    @Option(help: ArgumentHelp("Text shown on the link page, e.g. \"PyData talk, room 2\".", valueName: "text"))
    var label: String?

    @Option(help: ArgumentHelp("The site or gateway it is for; also bound into the signature (default: audience from tessera.toml).", valueName: "aud"))
    var audience: String?

    @Flag(help: "Show the QR code in the terminal, to check it from a phone on the spot.")
    var qr = false

    @Flag(help: "Also write outbox/<id>.eml for an invitation --for an email address, ready for 'sendmail -t'.")
    var email = false

    @Option(help: ArgumentHelp("How many invitations to mint with these terms.", valueName: "n"))
    var count: Int = 1

    @Option(help: ArgumentHelp("Sign with this key instead of the site's signing key.", valueName: "name"))
    var key: String?

    @Flag(help: "Print one JSON object per invitation, including its token.")
    var json = false

    func run() throws {
        let now = Timestamp.now
        let site = siteOptions.folder
        let settings = try SiteSettings.load(site)
        let expiresText = expires ?? settings.defaultExpiry ?? "14d"
        guard let expiry = InvitationTerms.Expiry(expiresText) else {
            let source = expires == nil ? "default_expiry in \(site.settings)" : "--expires"
            throw CommandLineError("\(source): \"\(expiresText)\" is not a span, a time or 'never'", hint: "for example 14d, 36h, 2026-12-01T18:00:00Z or never")
        }
        guard let role = role ?? settings.defaultRole else {
            throw CommandLineError("missing --role", hint: "pass --role NAME, or set default_role in \(site.settings)")
        }
        if let roles = settings.roles, !roles.contains(role) {
            throw CommandLineError("--role: \(role) is not one of the roles in \(site.settings): \(roles.joined(separator: ", "))", hint: "use one of them, or add it to roles")
        }
        let terms = InvitationTerms(
            project: project, role: role, subject: subject, userID: uid, uses: uses, expiry: expiry,
            notBefore: try notBefore.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--not-before") },
            anonymous: anonymous, label: label, audience: audience ?? settings.audience, issuer: settings.issuer)
        do {
            try terms.validate(at: now)
        } catch {
            throw CommandLineError("\(error.option): \(error.message)", hint: error.hint)
        }
        guard (1...1_000_000).contains(count) else {
            throw CommandLineError("--count: must be from 1 to 1000000")
        }
        if email {
            guard let subject, InvitationEmail.isAddress(subject) else {
                throw CommandLineError("--email: needs --for with an email address", hint: "for example --for alice@example.org --email")
            }
        }
        let publisher = SitePublisher(site: site, renderer: try SiteSettings.renderer(site, settings))

        let store = KeyStore(directory: site.keys)
        for sentence in try store.run({ _ throws(KeyStore.Error) in try SiteSetup.prepare(site, at: now) }) {
            Terminal.note("\(Terminal.prefix): \(sentence)")
        }
        let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: key) }
        let minter = Minter(key: signing.key)

        // Signing is quick and done here in order; the pages (most of the work) are written on every core.
        let minted = (0..<count).map { _ in
            let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: now)
            return (invitation: invitation, token: minter.mint(invitation))
        }
        let progress = Mutex(Progress(label: "minting", total: count))
        let from = settings.issuer.map { "\($0) <tessera@localhost>" } ?? "tessera@localhost"
        let email = self.email
        do {
            if email {
                try site.checkContained(site.path("outbox/\(minted[0].invitation.id).eml"))
                try FileSystem.makeDirectory(site.path("outbox"), mode: 0o700)
            }
            _ = try Batch.run(count, progress: { done in progress.withLock { $0.update(done) } }) { (index) throws(FileError) in
                let (invitation, token) = minted[index]
                try publisher.publish(invitation, token: token)
                if email {
                    let message = InvitationEmail(invitation: invitation, renderer: publisher.renderer, from: from, date: now)
                    try FileSystem.writeAtomically(site.path("outbox/\(invitation.id).eml"), contents: Array(message.message.utf8), mode: 0o600, durable: false)
                }
            }
        } catch {
            throw CommandLineError(error.description)
        }
        do {
            try publisher.publishIndexes()
        } catch {
            throw CommandLineError(error.description)
        }
        FileSystem.flushAll()
        report(minted, keyName: signing.name, publisher: publisher)
        if settings.baseURL == nil {
            Terminal.note("\(Terminal.prefix): hint: set base_url in \(site.settings) to give each page a public link and a QR code")
        }
        if qr, let first = minted.first {
            if let code = publisher.qrCode(for: first.invitation) {
                Terminal.write(code.terminalString() + "\n")
            } else {
                Terminal.note("\(Terminal.prefix): no QR code: the page has no public address until base_url is set")
            }
        }
    }

    private func report(_ minted: [(invitation: Invitation, token: String)], keyName: String, publisher: SitePublisher) {
        if json {
            for (invitation, token) in minted {
                let object = JSONValue.object([
                    ("id", .string(invitation.id)),
                    ("token", .string(token)),
                    ("page", .string(SiteFolder.invitationFolderName(invitation.id) + "/index.html")),
                    ("url", publisher.renderer.pageURL(for: invitation.id).map(JSONValue.string) ?? .null),
                    ("expires", invitation.expiresAt.map { .string($0.rfc3339) } ?? .null),
                ])
                Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
            }
            return
        }
        let first = minted[0].invitation
        var summary = "minted \(minted.count) invitation\(minted.count == 1 ? "" : "s") to project \(first.project) as \(first.role)"
        if let subject = first.subject { summary += " for \(subject)" }
        if let uid = first.userID { summary += " creating account \(uid)" }
        summary += first.expiresAt.map { ", expiring \($0.rfc3339)" } ?? ", never expiring"
        summary += " (signed with key \(keyName))"
        Terminal.line(summary)
        for (invitation, _) in minted {
            let link = publisher.renderer.pageURL(for: invitation.id) ?? SiteFolder.invitationFolderName(invitation.id) + "/index.html"
            Terminal.line("  \(invitation.id)  \(link)")
        }
    }
}
