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
        audience, issuer, roles, default_role, default_expiry, email_from) apply unless a flag overrides them. \
        Tokens are bearer links: anyone holding one can use it, so they are printed only with --json.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Option(help: ArgumentHelp("The project joined (1-64 of A-Z a-z 0-9 . _ -).", valueName: "project"))
    var project: String

    @Option(help: ArgumentHelp("The permission granted (default: default_role from tessera.toml).", valueName: "role"))
    var role: String?

    @Option(name: .customLong("for"), help: ArgumentHelp("Only this subject (e.g. an email address) may accept it; '*@example.org': anyone signed in with an address at example.org, '*@*.example.org': at its subdomains.", valueName: "subject"))
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

    @Option(help: ArgumentHelp("The site or gateway it is for, as the signed `aud` claim; a verifier refuses it unless set to this audience (default: audience from tessera.toml).", valueName: "aud"))
    var audience: String?

    @Flag(help: "Show the QR code in the terminal, to check it from a phone on the spot.")
    var qr = false

    @Flag(help: "Also write out/i/<id>/slide.svg and slide.png: a 1920×1080 slide with the QR code, label, link and expiry (default: slides in tessera.toml).")
    var slide = false

    @Flag(help: "Also give it a short link, out/s/<code>/, that people can type (open invitations only; default: short_links in tessera.toml).")
    var short = false

    @Flag(help: "Also write outbox/<id>.eml for an invitation --for an email address, ready for 'sendmail -t'.")
    var email = false

    @Option(name: .customLong("member-for"), help: ArgumentHelp("Each membership ends this long after it was accepted, e.g. 7d or 12h (default: default_member_for from tessera.toml, else never).", valueName: "span"))
    var memberFor: String?

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
            let source = expires == nil ? settings.origin("default_expiry", in: site.settings) : "--expires"
            throw CommandLineError("\(source): \(Settings.quoted(expiresText)) is not a span, a time or 'never'", hint: "for example 14d, 36h, 2026-12-01T18:00:00Z or never")
        }
        guard let role = role ?? settings.defaultRole else {
            throw CommandLineError("missing --role", hint: "pass --role NAME, or set default_role in \(site.settings)")
        }
        if let roles = settings.roles, !roles.contains(role) {
            throw CommandLineError("--role: \(role) is not one of the roles in \(site.settings): \(roles.joined(separator: ", "))", hint: "use one of them, or add it to roles")
        }
        var memberSeconds = settings.defaultMemberFor
        if let memberFor {
            guard let seconds = TimeSpan.seconds(in: memberFor), seconds > 0 else {
                throw CommandLineError("--member-for: \"\(memberFor)\" is not a span", hint: "for example 7d, 36h or 90m")
            }
            memberSeconds = seconds
        }
        let terms = InvitationTerms(
            project: project, role: role, subject: subject, userID: uid, uses: uses, expiry: expiry,
            notBefore: try notBefore.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--not-before") },
            anonymous: anonymous, label: label, audience: audience ?? settings.audience, issuer: settings.issuer, memberFor: memberSeconds)
        do {
            try terms.validate(at: now)
        } catch {
            throw CommandLineError("\(error.option): \(error.message)", hint: error.hint)
        }
        guard (1...1_000_000).contains(count) else {
            throw CommandLineError("--count: must be from 1 to 1000000")
        }
        if email {
            guard let subject, terms.domain == nil, InvitationEmail.isAddress(subject) else {
                throw CommandLineError("--email: needs --for with an email address", hint: "for example --for alice@example.org --email")
            }
            // The email carries the page's link, never the token: without base_url it would carry nothing.
            guard settings.baseURL != nil else {
                throw CommandLineError("--email: the email needs the page's public link, and \(site.settings) sets no base_url",
                                       hint: "set base_url (where out/ is published) in \(site.settings)")
            }
        }
        // Slides and short links are shown or read out to an audience: whoever used one first would take
        // a targeted or signup invitation. Refused as flags; the settings leave these invitations out.
        let isPublic = subject == nil && uid == nil
        if !isPublic, short || slide {
            let (flag, what) = short ? ("--short", "short link") : ("--slide", "slide")
            throw CommandLineError("\(flag): a \(subject != nil ? "--for" : "--uid") invitation gets no \(what)",
                                   hint: "\(what)s are for open invitations shown in public; send a targeted or signup invitation's page link privately")
        }
        let slides = slide || (settings.slides == true && isPublic)
        let shortLinks = short || (settings.shortLinks == true && isPublic)
        if settings.baseURL == nil, slides || shortLinks {
            let source = slide ? "--slide" : short ? "--short" : slides ? "slides = true in \(site.settings)" : "short_links = true in \(site.settings)"
            throw CommandLineError("\(source) needs base_url in \(site.settings): slides and short links hold the page's public address", hint: "set base_url to where out/ is published, e.g. base_url = \"https://invites.example.org/\"")
        }
        let publisher = SitePublisher(site: site, renderer: try SiteSettings.renderer(site, settings))
        // An address too long for any QR code is known before anything is minted: say so, with its length.
        if qr, settings.baseURL != nil, let problem = publisher.qrCodeProblem(for: terms.invitation(id: "AAAAAAAAAAAAAAAAAAAAAA", issuedAt: now)) {
            throw CommandLineError("--qr: \(problem)", hint: "shorten base_url in \(site.settings) (\(settings.baseURL?.utf8.count ?? 0) bytes now)")
        }

        // Held until the process ends: a second mint waits here, so two first mints make one key.
        let lock = try siteOptions.lockForWriting()
        defer { lock.release() }
        // The keys folder may be shared with other sites: locked too while the first key may be
        // made and the signing key is read, then let go so that a long batch does not hold them up.
        // The first mint makes revoked.txt: a link leading out of the site is refused before any key is made.
        _ = try siteOptions.revocationListTarget()
        let keysLock = try siteOptions.lockKeysForWriting()
        let store = KeyStore(directory: site.keys)
        for sentence in try store.run({ _ throws(KeyStore.Error) in try SiteSetup.prepare(site, at: now) }) {
            Terminal.note("\(Terminal.prefix): \(sentence)")
        }
        let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: key) }
        keysLock.release()
        let delegation = try Self.delegation(for: signing, terms: terms, store: store, at: now)
        try Self.refuseWhatTheListRevokes(terms: terms, signing: signing, delegation: delegation, in: siteOptions.revocationFile()?.list, at: now)
        let minter = Minter(key: signing.key, delegation: delegation?.token)

        // Signing is quick and done here in order; the pages (most of the work) are written on every core.
        let minted = (0..<count).map { _ in
            let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: now)
            return (invitation: invitation, token: minter.mint(invitation))
        }
        // Drawn here, in order, so that codes of one batch cannot collide with each other or with out/s/.
        var codes: [String?] = Array(repeating: nil, count: count)
        if shortLinks {
            var taken = Set<String>()
            for index in 0..<count {
                var code = ShortCode.random()
                while taken.contains(code) || !publisher.isShortCodeFree(code) { code = ShortCode.random() }
                taken.insert(code)
                codes[index] = code
            }
        }
        let shortCodes = codes
        let progress = Mutex(Progress(label: "minting", total: count))
        let from = InvitationEmail.Sender(name: settings.issuer, address: settings.emailFrom ?? InvitationEmail.Sender.defaultAddress)
        let email = self.email
        do {
            if email {
                try site.checkContained(site.path("outbox/\(minted[0].invitation.id).eml"))
                try FileSystem.makeDirectory(site.path("outbox"), mode: 0o700)
            }
            // Checked once before any page is written: a link in out/ leading out of the site fails here,
            // with nothing published, rather than after the first page.
            try site.checkContained(site.path("out/i/\(minted[0].invitation.id)/index.html"))
            if let code = shortCodes[0] { try site.checkContained(site.path("out/s/\(code)/index.html")) }
            _ = try Batch.run(count, progress: { done in progress.withLock { $0.update(done) } }) { (index) throws(FileError) in
                let (invitation, token) = minted[index]
                try publisher.publish(invitation, token: token, slide: slides, shortCode: shortCodes[index])
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
            try Self.publishWellKnownIfMissing(site: site, publisher: publisher, store: store, minter: minter, at: now)
        } catch {
            throw CommandLineError(error.description)
        }
        FileSystem.flushAll()
        report(minted, shortCodes: shortCodes, slides: slides, keyName: signing.name + (delegation.map { " under delegation \($0.name)" } ?? ""), publisher: publisher)
        if settings.baseURL == nil {
            Terminal.note("\(Terminal.prefix): hint: set base_url in \(site.settings) to give each page a public link and a QR code")
        }
        if qr, let first = minted.first {
            if let code = publisher.qrCode(for: first.invitation) {
                Terminal.write(code.terminalString() + "\n")
            } else {
                Terminal.note("\(Terminal.prefix): no QR code: \(publisher.qrCodeProblem(for: first.invitation) ?? "it could not be drawn")")
            }
        }
    }

    /// Refuses, before anything is signed, invitations the site's own `revoked.txt` already revokes: every
    /// verifier would refuse them, and `mint` would have printed links that lead nowhere. Their key, the root
    /// key that delegated it, their project, or a `before:` time still to come.
    static func refuseWhatTheListRevokes(terms: InvitationTerms, signing: (name: String, key: SigningKey), delegation: KeyStore.DelegationEntry?,
                                         in list: RevocationList?, at now: Timestamp) throws(CommandLineError) {
        guard let list else { return }
        let keyID = signing.key.publicKey.id
        // A fresh id is never in the list: only the entries that revoke by key, project or time can match.
        let sample = terms.invitation(id: "AAAAAAAAAAAAAAAAAAAAAA", issuedAt: now)
        guard let entry = list.entry(revoking: sample, signedBy: keyID) ?? delegation.flatMap({ list.revokes(key: $0.signer) ? .key($0.signer) : nil })
            // A targeted or signup invitation for someone removed from the project: only they could accept it.
            ?? (terms.domain == nil ? (terms.subject ?? terms.userID).flatMap { list.entry(removing: $0, from: terms.project) } : nil)
        else { return }
        let hint: String
        switch entry {
        case .invitation:
            return
        case .member(let member):
            hint = "\(Terminal.displayable(member.subject)) was removed from \(member.project); remove that line from revoked.txt to invite them again"
        case .key(let revoked) where revoked == keyID:
            hint = delegation == nil
                ? "make a new signing key ('tessera keys new'); the revoked one stays revoked"
                : "ask the server admin for a delegation of a new key ('tessera keys new', then 'tessera keys import FILE')"
        case .key:
            hint = "the root key that signed delegation \(delegation?.name ?? "") is revoked: ask the server admin for a new delegation"
        case .project(let project):
            hint = "every invitation to \(project) is revoked; remove that line from revoked.txt to invite to it again"
        case .issuedBefore(let time):
            hint = "everything issued before \(time.rfc3339) is revoked; fix that line if the time is wrong"
        }
        throw CommandLineError("revoked.txt already revokes what this would mint (\(entry)): every verifier that reads it would refuse these invitations",
                               hint: hint)
    }

    /// The delegation the signing key mints under, when it is a delegated key: one that is in force and covers
    /// `terms`. Refuses, before anything is signed, terms outside every delegation of the key, naming what they allow.
    static func delegation(for signing: (name: String, key: SigningKey), terms: InvitationTerms, store: KeyStore, at now: Timestamp)
        throws(CommandLineError) -> KeyStore.DelegationEntry? {
        let held = try store.run { store throws(KeyStore.Error) in try store.delegations(certifying: signing.key.publicKey) }
        guard !held.isEmpty else { return nil }
        let current = held.filter { $0.delegation.expiresAt > now }
        guard !current.isEmpty else {
            let latest = held.max { $0.delegation.expiresAt < $1.delegation.expiresAt }!
            throw CommandLineError("key \(signing.name) mints under delegation \(latest.name), which expired at \(latest.delegation.expiresAt.rfc3339)",
                                   hint: "ask the server admin for a new delegation ('tessera keys delegate'), then 'tessera keys import FILE'")
        }
        let sample = terms.invitation(id: "AAAAAAAAAAAAAAAAAAAAAA", issuedAt: now)
        if let covering = current.first(where: { $0.delegation.excess(of: sample) == nil }) { return covering }
        let first = current[0]
        let excess = first.delegation.excess(of: sample)!
        let option: String
        switch excess {
        case .project: option = "--project"
        case .role: option = "--role"
        case .noExpiry, .expiry: option = "--expires"
        case .unlimitedUses, .uses: option = "--uses"
        }
        throw CommandLineError("\(option): \(first.delegation.explain(excess))",
                               hint: "delegation \(first.name) allows \(first.delegation.scopeDescription); ask the server admin to widen it")
    }

    /// Writes `out/.well-known/tessera/keys.json` (root keys only) and the signed `revoked.paseto` when they
    /// do not exist yet, so that `out/` is publishable from the first invitation on; `tessera build` refreshes both.
    static func publishWellKnownIfMissing(site: SiteFolder, publisher: SitePublisher, store: KeyStore, minter: Minter, at now: Timestamp) throws(FileError) {
        let wellKnown = FileSystem.join(site.out, ".well-known/tessera")
        if !FileSystem.exists(FileSystem.join(wellKnown, "keys.json")),
           let keyring = try? Keyring.load(directory: site.keys, allowingWritableByAnyone: true), let roots = try? store.rootKeyring(keyring) {
            try publisher.publishKeyring(roots)
        }
        if !FileSystem.exists(FileSystem.join(wellKnown, "revoked.paseto")),
           let bytes = try FileSystem.readIfPresent(site.revocationList, limit: 64 << 20),
           let list = try? RevocationList(parsing: bytes) {
            try publisher.publishRevocationList(minter.sign(SignedRevocationList(issuedAt: Timestamp(seconds: now.seconds), list: list)))
        }
    }

    private func report(_ minted: [(invitation: Invitation, token: String)], shortCodes: [String?], slides: Bool, keyName: String, publisher: SitePublisher) {
        if json {
            for ((invitation, token), code) in zip(minted, shortCodes) {
                // Paths usable from where the command ran, --site included.
                let folder = publisher.site.invitationFolder(invitation.id)
                let object = JSONValue.object([
                    ("id", .string(invitation.id)),
                    ("token", .string(token)),
                    ("page", .string(folder + "/index.html")),
                    ("url", publisher.renderer.pageURL(for: invitation).map(JSONValue.string) ?? .null),
                    ("short_url", code.flatMap { publisher.renderer.shortURL(for: $0, invitation: invitation) }.map(JSONValue.string) ?? .null),
                    ("slide", slides ? .string(folder + "/slide.png") : .null),
                    ("expires", invitation.expiresAt.map { .string($0.rfc3339) } ?? .null),
                ])
                Terminal.line(String(decoding: object.serialized(), as: UTF8.self))
            }
            return
        }
        let first = minted[0].invitation
        var summary = "minted \(minted.count) invitation\(minted.count == 1 ? "" : "s") to project \(first.project) as \(first.role)"
        if let subject = first.subject { summary += " for \(subject)" }
        if let domain = first.domain { summary += " for anyone with an address at \(domain.phrase)" }
        if let seconds = first.memberFor { summary += ", membership lasting \(TimeSpan.words(seconds))" }
        if let uid = first.userID { summary += " creating account \(uid)" }
        summary += first.expiresAt.map { ", expiring \($0.rfc3339)" } ?? ", never expiring"
        summary += " (signed with key \(keyName))"
        Terminal.line(summary)
        for ((invitation, _), code) in zip(minted, shortCodes) {
            // A path usable from where the command ran, --site included.
            let link = publisher.renderer.pageURL(for: invitation) ?? publisher.site.invitationFolder(invitation.id) + "/index.html"
            Terminal.line("  \(invitation.id)  \(link)")
            if let short = code.flatMap({ publisher.renderer.shortURL(for: $0, invitation: invitation) }) {
                Terminal.line("    short link: \(short)  (say: \(SiteRenderer.typedLink(short)))")
            }
            if slides {
                Terminal.line("    slide: \(publisher.site.invitationFolder(invitation.id))/slide.png (and slide.svg)")
            }
        }
    }
}
