import ArgumentParser
import TesseraCore

struct TesseraVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tessera-verify",
        abstract: "Check Tessera invitations with public keys only: this tool cannot mint.",
        discussion: """
        Exit codes of 'check': 0 granted, 2 usage or configuration error, 10 malformed token, \
        11 unknown key or bad signature, 12 expired or not yet valid, 13 revoked, \
        14 not for this subject, project or audience, 15 no uses left, 16 ledger unavailable.
        """,
        version: Tessera.version,
        subcommands: [Check.self, Members.self, LedgerCommands.self, Serve.self]
    )
}
