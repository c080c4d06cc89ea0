import ArgumentParser
import TesseraVerifyCLI

struct TesseraVerify: ParsableCommand {
    static let configuration = VerifyCommand.configuration(subcommands: [Check.self, Members.self, LedgerCommands.self, ServeHandOff.self])
}
