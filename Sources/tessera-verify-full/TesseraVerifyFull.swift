import ArgumentParser
import TesseraVerifyCLI

/// Runs as `tessera-verify`, and says so in its help and errors: the lean executable execs this one.
struct TesseraVerifyFull: ParsableCommand {
    static let configuration = VerifyCommand.configuration(subcommands: [Check.self, Members.self, LedgerCommands.self, Serve.self])
}
