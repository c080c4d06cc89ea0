import ArgumentParser
import TesseraCLI
import TesseraCore

/// `tessera-verify check`: ArgumentParser's reading of the command line, for help, errors and the forms `CheckRequest` leaves to it.
public struct Check: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Check one invitation token and exit with a code per outcome.",
        discussion: """
        The token is read from the argument, or from standard input when the argument is '-' \
        or absent (one trailing newline is allowed). Nothing is printed that would reveal the token. \
        Without --redeem the ledger is not touched. With --redeem the acceptance is recorded \
        before 'granted' is answered: the same subject again is granted again without using a \
        use; a signup (--uid) invitation redeemed without --subject creates its account once; an \
        anonymous invitation redeemed without --subject gets a made-up subject, printed in the answer.
        """
    )

    @Argument(help: ArgumentHelp("The token, or '-' to read it from standard input.", valueName: "token"))
    var token: String?

    @OptionGroup var verifier: VerifierOptions

    @Option(name: .long, help: ArgumentHelp("The signed-in subject presenting the token.", valueName: "subject"))
    var subject: String?

    @Option(name: .long, help: ArgumentHelp("Require an invitation for this project.", valueName: "project"))
    var project: String?

    @Option(name: .long, help: ArgumentHelp("Decide as of this RFC 3339 time instead of now.", valueName: "time"))
    var at: String?

    @Flag(name: .long, help: "Accept the invitation: record the subject in the ledger (exit 15 when no use is left, 16 when the ledger fails).")
    var redeem = false

    @OptionGroup var ledgerOptions: LedgerOptions

    @Flag(name: .long, help: "Print one JSON object instead of a sentence.")
    var json = false

    public init() {}

    /// The parsed command line as plain values.
    var request: CheckRequest {
        CheckRequest(token: token, verifier: verifier.inputs, subject: subject, project: project, at: at, redeem: redeem,
                     ledger: ledgerOptions.ledger, json: json)
    }

    public func run() async throws {
        try await request.run()
    }
}
