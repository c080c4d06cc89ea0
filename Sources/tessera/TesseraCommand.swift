import ArgumentParser
import TesseraCore

struct TesseraCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera",
        abstract: "Mint signed invitation tokens and the static link pages that carry them.",
        discussion: """
        Every command works on a site folder (the current one, or --site DIR): keys/ holds the \
        signing keys, out/ the site to publish, revoked.txt the revocation list.
        """,
        version: Tessera.version,
        subcommands: [Mint.self, Build.self, Show.self, Keys.self, ListInvitations.self, Revoke.self, Prune.self]
    )
}
