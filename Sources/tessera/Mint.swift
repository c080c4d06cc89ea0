import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct Mint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint invitations: signed tokens written to out/i/<id>/.",
        discussion: """
        The first run in an empty folder creates a signing key (keys/main.secret.pem, mode 0600), \
        out/ and an empty revoked.txt, and says so. Tokens are bearer links: anyone holding one \
        can use it, so they are printed only with --json.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Option(help: ArgumentHelp("The project joined (1-64 of A-Z a-z 0-9 . _ -).", valueName: "project"))
    var project: String

    @Option(help: ArgumentHelp("The permission granted (1-64 of A-Z a-z 0-9 . _ -).", valueName: "role"))
    var role: String

    @Option(name: .customLong("for"), help: ArgumentHelp("Only this subject (e.g. an email address) may accept it.", valueName: "subject"))
    var subject: String?

    @Option(help: ArgumentHelp("Signup: the account id the new user gets; usable once.", valueName: "id"))
    var uid: String?

    @Option(help: ArgumentHelp("The most distinct people who may accept it (default: unlimited).", valueName: "n"))
    var uses: Int?

    @Option(help: ArgumentHelp("When it expires: a span (14d, 36h, 90m), an RFC 3339 time, or 'never'.", valueName: "when"))
    var expires: String = "14d"

    @Option(name: .customLong("not-before"), help: ArgumentHelp("Not valid before this RFC 3339 time.", valueName: "time"))
    var notBefore: String?

    @Flag(help: "Allow accepting it without signing in (open invitations only).")
    var anonymous = false

    @Option(help: ArgumentHelp("Text shown on the link page, e.g. \"PyData talk, room 2\".", valueName: "text"))
    var label: String?

    @Option(help: ArgumentHelp("The site or gateway it is for; also bound into the signature.", valueName: "aud"))
    var audience: String?

    @Option(help: ArgumentHelp("How many invitations to mint with these terms.", valueName: "n"))
    var count: Int = 1

    @Option(help: ArgumentHelp("Sign with this key instead of the site's signing key.", valueName: "name"))
    var key: String?

    @Flag(help: "Print one JSON object per invitation, including its token.")
    var json = false

    func run() throws {
        let now = Timestamp.now
        guard let expiry = InvitationTerms.Expiry(expires) else {
            throw CommandLineError("--expires: \"\(expires)\" is not a span, a time or 'never'", hint: "for example 14d, 36h, 2026-12-01T18:00:00Z or never")
        }
        let terms = InvitationTerms(
            project: project, role: role, subject: subject, userID: uid, uses: uses, expiry: expiry,
            notBefore: try notBefore.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--not-before") },
            anonymous: anonymous, label: label, audience: audience)
        do {
            try terms.validate(at: now)
        } catch {
            throw CommandLineError("\(error.option): \(error.message)", hint: error.hint)
        }
        guard (1...1_000_000).contains(count) else {
            throw CommandLineError("--count: must be from 1 to 1000000")
        }

        let site = siteOptions.folder
        let store = KeyStore(directory: site.keys)
        for sentence in try store.run({ _ throws(KeyStore.Error) in try SiteSetup.prepare(site, at: now) }) {
            Terminal.note("\(Terminal.prefix): \(sentence)")
        }
        let signing = try store.run { store throws(KeyStore.Error) in try store.signingKey(named: key) }
        let minter = Minter(key: signing.key)

        var progress = Progress(label: "minting", total: count)
        var minted: [(invitation: Invitation, token: String)] = []
        minted.reserveCapacity(count)
        for index in 0..<count {
            let invitation = terms.invitation(id: Minter.newInvitationID(), issuedAt: now)
            let token = minter.mint(invitation)
            let folder = site.invitationFolder(invitation.id)
            do {
                try FileSystem.makeDirectory(folder)
                try FileSystem.writeAtomically(FileSystem.join(folder, "token"), contents: Array((token + "\n").utf8), durable: false)
            } catch {
                throw CommandLineError(error.description)
            }
            minted.append((invitation, token))
            progress.update(index + 1)
        }
        FileSystem.flushAll()
        report(minted, keyName: signing.name)
    }

    private func report(_ minted: [(invitation: Invitation, token: String)], keyName: String) {
        if json {
            for (invitation, token) in minted {
                let object = JSONValue.object([
                    ("id", .string(invitation.id)),
                    ("token", .string(token)),
                    ("file", .string(SiteFolder.invitationFolderName(invitation.id) + "/token")),
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
            Terminal.line("  \(invitation.id)  \(SiteFolder.invitationFolderName(invitation.id))/token")
        }
    }
}
