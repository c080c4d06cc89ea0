import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke invitations by id, every invitation of a project, or everything a key signed.",
        discussion: """
        Appends one line per entry to revoked.txt, with the time and reason as a comment; the \
        rest of the file is left as it is. Editing revoked.txt by hand works just as well. \
        Verifiers reading the file follow within a second; 'tessera build' publishes the signed \
        list for remote ones.
        """
    )

    @OptionGroup var siteOptions: SiteOptions

    @Argument(help: ArgumentHelp("Invitation ids minted in this site (see 'tessera list').", valueName: "id"))
    var ids: [String] = []

    @Option(name: .long, help: ArgumentHelp("Revoke every invitation for this project.", valueName: "project"))
    var project: String?

    @Option(name: .long, help: ArgumentHelp("Revoke everything signed by this key: a k4.pid.… id or a key name in keys/.", valueName: "kid"))
    var key: String?

    @Option(name: .long, help: ArgumentHelp("Why, kept as a comment on the line.", valueName: "text"))
    var reason: String?

    @Flag(name: .long, help: "Revoke ids, projects or keys this site has not minted or does not hold.")
    var force = false

    func run() throws {
        guard !ids.isEmpty || project != nil || key != nil else {
            throw CommandLineError("nothing to revoke", hint: "name invitation ids, --project NAME or --key KID")
        }
        let site = siteOptions.folder
        let catalog = try siteOptions.catalog()
        var entries: [(entry: RevocationList.Entry, description: String)] = []
        for id in ids {
            guard Name.isValidInvitationID(id) else {
                throw CommandLineError("\"\(id)\" is not an invitation id (22 base64url characters)", hint: "'tessera list' shows this site's invitations")
            }
            let item = catalog[id]
            if item == nil, !force {
                throw CommandLineError("no invitation \(id) in this site (no \(SiteFolder.invitationFolderName(id))/token)", hints: [
                    "'tessera list' shows this site's invitations; to revoke an id minted elsewhere, add it to revoked.txt by hand or pass --force",
                ])
            }
            entries.append((.invitation(id), item?.invitation.map(Self.describe) ?? "invitation \(id)"))
        }
        if let project {
            let name = try OptionValue.name(project, flag: "--project")
            let count = catalog.items.filter { $0.invitation?.project == name }.count
            if count == 0, !force {
                throw CommandLineError("--project: no invitation in this site is for project \(name)", hint: "check the name with 'tessera list', or pass --force to revoke it anyway")
            }
            entries.append((.project(name), "every invitation for project \(name) (\(Self.count(count)) in this site)"))
        }
        if let key {
            let (id, name) = try resolveKey(key, site: site)
            let count = catalog.items.filter { $0.token?.keyID == id }.count
            entries.append((.key(id), "everything signed by \(name.map { "key \($0) (\(id))" } ?? "key \(id)") (\(Self.count(count)) in this site)"))
        }

        let now = Timestamp.now
        let existing = try siteOptions.revocationFile()
        var lines: [String] = []
        for (entry, description) in entries {
            if let line = existing?.line(of: entry) {
                Terminal.line("already revoked: \(description) (revoked.txt line \(line))")
            } else if !lines.contains(where: { $0.hasPrefix(entry.description + " ") }) {
                lines.append(RevocationFile.line(for: entry, reason: reason, at: now))
                Terminal.line("revoked \(description)")
            }
        }
        guard !lines.isEmpty else { return }
        let bytes: [UInt8]
        if let existing {
            bytes = existing.appendix(lines)
        } else {
            bytes = Array(SiteSetup.revocationListHeader.utf8) + lines.flatMap { Array(($0 + "\n").utf8) }
        }
        do {
            try FileSystem.append(site.revocationList, contents: bytes)
        } catch {
            throw CommandLineError(error.description)
        }
        Terminal.line("verifiers reading \(site.revocationList) follow now; run 'tessera build' to publish the signed list")
    }

    private static func describe(_ invitation: Invitation) -> String {
        var text = "invitation \(invitation.id) (project \(invitation.project), role \(invitation.role)"
        if let subject = invitation.subject { text += ", for \(subject)" }
        if let uid = invitation.userID { text += ", account \(uid)" }
        return text + ")"
    }

    private static func count(_ n: Int) -> String { "\(n) invitation\(n == 1 ? "" : "s")" }

    private func resolveKey(_ text: String, site: SiteFolder) throws(CommandLineError) -> (KeyID, String?) {
        let store = KeyStore(directory: site.keys)
        let known = (try? store.entries()) ?? []
        if let id = KeyID(text) {
            let entry = known.first { $0.publicKey.id == id }
            if entry == nil, !force {
                throw CommandLineError("--key: \(id) is not a key of this site", hint: "'tessera keys list' shows them; pass --force to revoke a key held elsewhere")
            }
            return (id, entry?.name)
        }
        guard let entry = known.first(where: { $0.name == text }) else {
            throw CommandLineError("--key: \"\(text)\" is neither a k4.pid.… key id nor a key name in \(site.keys)", hint: "'tessera keys list' shows the keys")
        }
        return (entry.publicKey.id, entry.name)
    }
}
