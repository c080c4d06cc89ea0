import ArgumentParser
import TesseraCLI
import TesseraCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check one invitation token and exit with a code per outcome.",
        discussion: """
        The token is read from the argument, or from standard input when the argument is '-' \
        or absent (one trailing newline is allowed). Nothing is printed that would reveal the token.
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

    @Flag(name: .long, help: "Print one JSON object instead of a sentence.")
    var json = false

    func run() throws {
        let outcome: Result<Invitation, Denial>
        do {
            let verifier = try verifier.makeVerifier()
            let now = try at.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--at") } ?? Timestamp.now
            if let project { _ = try OptionValue.name(project, flag: "--project") }
            if let subject, !Name.isValidSubject(subject) {
                throw CommandLineError("--subject: must be 1-256 bytes without control characters")
            }
            let bytes = try TokenInput.read(token)
            let request = AccessRequest(project: project, subject: subject)
            outcome = Result { () throws(Denial) in try verifier.verify(bytes, at: now, for: request) }
        } catch let error as CommandLineError {
            if json { Terminal.line(String(decoding: CheckReport.error(error.message).serialized(), as: UTF8.self)) }
            throw error
        }
        switch outcome {
        case .success(let invitation):
            if json {
                Terminal.line(String(decoding: CheckReport.granted(invitation, subject: subject).serialized(), as: UTF8.self))
            } else {
                Terminal.line(CheckReport.sentence(invitation, subject: subject))
            }
        case .failure(let denial):
            if json {
                Terminal.line(String(decoding: CheckReport.denied(denial).serialized(), as: UTF8.self))
            } else {
                Terminal.note("\(Terminal.prefix): denied (\(denial.reason.rawValue)): \(denial.detail)")
            }
            throw ExitCode(denial.reason.exitCode)
        }
    }
}
