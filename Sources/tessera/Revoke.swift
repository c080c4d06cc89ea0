import ArgumentParser
import TesseraCLI
import TesseraCore
import TesseraMint

struct Revoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revoke invitations by id, every invitation of a project, or everything a key signed; or remove one member from a project.",
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

    @Option(name: .long, help: ArgumentHelp("Revoke everything signed by this key: a k4.pid.… id, a key name in keys/, or a delegation name (its delegated key); a root key's entry also ends every delegation it signed.", valueName: "kid"))
    var key: String?

    @Option(name: .long, parsing: .upToNextOption,
            help: ArgumentHelp("Remove one member: PROJECT SUBJECT. The subject is refused in that project through any invitation; other members are not affected.",
                               valueName: "project subject"))
    var member: [String] = []

    @Option(name: .long, help: ArgumentHelp("Why, kept as a comment on the line.", valueName: "text"))
    var reason: String?

    @Flag(name: .long, help: "Revoke ids, projects or keys this site has not minted or does not hold.")
    var force = false

    func run() throws {
        guard !ids.isEmpty || project != nil || key != nil || !member.isEmpty else {
            throw CommandLineError("nothing to revoke", hint: "name invitation ids, --project NAME, --key KID or --member PROJECT SUBJECT")
        }
        if !member.isEmpty, member.count != 2 {
            throw CommandLineError("--member: takes exactly two values, the project and the subject", hint: "for example --member talk-2026 alice@example.org")
        }
        let site = siteOptions.folder
        let lock = try siteOptions.lockForWriting()
        defer { lock.release() }
        // Where the lines go, checked before anything is said: a symbolic link inside the site is
        // written through (and kept), one leading out of it is refused.
        let target = try siteOptions.revocationListTarget()
        let catalog = try siteOptions.catalog()
        var entries: [(entry: RevocationList.Entry, description: String)] = []
        for id in ids {
            guard Name.isValidInvitationID(id) else {
                throw CommandLineError("\"\(id)\" is not an invitation id (16 to 64 characters of A-Z a-z 0-9 _ -)", hint: "'tessera list' shows this site's invitations")
            }
            let item = catalog[id]
            if item == nil, !force {
                throw CommandLineError("no invitation \(id) in this site (no \(site.invitationFolder(id))/token)", hints: [
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
            entries.append((.key(id), "everything signed by \(name.map { ($0.hasPrefix("delegation ") ? "" : "key ") + "\($0) (\(id))" } ?? "key \(id)") (\(Self.count(count)) in this site)"))
        }
        if member.count == 2 {
            let name = try OptionValue.name(member[0], flag: "--member")
            let subject = member[1]
            guard Name.isValidSubject(subject) else {
                throw CommandLineError("--member: the subject must be 1-256 bytes without control characters")
            }
            entries.append((.member(RevocationList.Member(project: name, subject: subject)), "member \(subject) of project \(name)"))
        }

        let now = Timestamp.now
        // Read first for its errors, named with the path as every command names them.
        _ = try siteOptions.revocationFile()
        let appended: RevocationFile.Appended
        do {
            appended = try RevocationFile.append(entries.map(\.entry), reason: reason, at: now, to: target, header: SiteSetup.revocationListHeader)
        } catch {
            switch error {
            case .file(let failure): throw CommandLineError(failure.description)
            case .malformed(let problem):
                throw CommandLineError("\(site.revocationList):\(problem.line): \(problem.message)", hint: "fix or remove that line; '#' starts a comment")
            case .keptChanging(let attempts):
                throw CommandLineError("\(site.revocationList) was replaced under each of \(attempts) writes, so nothing can be said to be revoked",
                                       hint: "close the editor or program that keeps saving it, then run this again")
            }
        }
        // Said only once the lines are in the file at the path: "revoked" followed by a failure, or
        // by an editor's save that dropped the line, would be a lie.
        var reported = Set<RevocationList.Entry>()
        for (entry, description) in entries where reported.insert(entry).inserted {
            if let line = appended.alreadyPresent[entry] {
                Terminal.line("already revoked: \(description) (revoked.txt line \(line))")
            } else {
                Terminal.line("\(entry.isMember ? "removed" : "revoked") \(Terminal.displayable(description))")
            }
        }
        guard !appended.added.isEmpty else { return }
        Terminal.line("verifiers reading \(site.revocationList) follow now; run 'tessera build' to publish the signed list")
        // A project admin's site signs with a delegated key, which verifiers do not trust to sign a
        // list: what this site publishes is refused by them, so the entries must reach the server admin.
        let store = KeyStore(directory: site.keys)
        if let signing = try? store.signingKey(),
           let delegated = (try? store.delegations(certifying: signing.key.publicKey))?.first {
            Terminal.note("\(Terminal.prefix): warning: this site signs with \(signing.name), a key delegated by \(delegated.signer) (delegation \(delegated.name)): verifiers that trust only that root refuse a list this site signs, so its invitations stay valid there")
            Terminal.note("\(Terminal.prefix): hint: send these lines to the server admin, to add to the revocation list their verifiers read: \(appended.added.map { Terminal.displayable($0.description) }.joined(separator: ", "))")
        }
    }

    private static func describe(_ invitation: Invitation) -> String {
        var text = "invitation \(invitation.id) (project \(invitation.project), role \(invitation.role)"
        if let subject = invitation.subject { text += ", for \(subject)" }
        if let uid = invitation.userID { text += ", account \(uid)" }
        return text + ")"
    }

    private static func count(_ n: Int) -> String { "\(n) invitation\(n == 1 ? "" : "s")" }

    /// The key id `--key` names: a `k4.pid`, the name of a key in keys/, or the name of a delegation there (its delegated key).
    private func resolveKey(_ text: String, site: SiteFolder) throws(CommandLineError) -> (KeyID, String?) {
        let store = KeyStore(directory: site.keys)
        let known = (try? store.entries()) ?? []
        let delegations = (try? store.delegations()) ?? []
        if let id = KeyID(text) {
            if let entry = known.first(where: { $0.publicKey.id == id }) { return (id, entry.name) }
            if let delegation = delegations.first(where: { $0.delegation.key.id == id }) { return (id, "delegation " + delegation.name) }
            if !force {
                throw CommandLineError("--key: \(id) is not a key of this site", hint: "'tessera keys list' shows them; pass --force to revoke a key held elsewhere")
            }
            return (id, nil)
        }
        let key = known.first(where: { $0.name == text })
        let delegation = delegations.first(where: { $0.name == text })
        // A key and a delegation of one name but different keys: revoking either by guess could end the wrong invitations.
        if let key, let delegation, key.publicKey.id != delegation.delegation.key.id {
            throw CommandLineError("--key: \"\(text)\" names both key \(text) (\(key.publicKey.id)) and delegation \(text), which certifies \(delegation.delegation.key.id)",
                                   hint: "pass the k4.pid.… of the one to revoke")
        }
        if let key { return (key.publicKey.id, key.name) }
        if let delegation { return (delegation.delegation.key.id, "delegation " + delegation.name) }
        throw CommandLineError("--key: \"\(text)\" is neither a k4.pid.… key id nor a key or delegation name in \(site.keys)", hint: "'tessera keys list' shows the keys and delegations")
    }
}
