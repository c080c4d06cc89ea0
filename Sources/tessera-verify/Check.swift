import ArgumentParser
import TesseraCLI
import TesseraCore

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
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

    private enum Decision {
        case valid(Invitation)
        case granted(Admission.Grant)
    }

    func run() async throws {
        let outcome: Result<Decision, Denial>
        do {
            let verifier = try await verifier.makeVerifier()
            let now = try at.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--at") } ?? Timestamp.now
            if let project { _ = try OptionValue.name(project, flag: "--project") }
            if let subject, !Name.isValidSubject(subject) {
                throw CommandLineError("--subject: must be 1-256 bytes without control characters")
            }
            let location = try ledgerOptions.location(in: self.verifier.site.folder)
            let bytes = try TokenInput.read(token)
            let request = AccessRequest(project: project, subject: subject)
            if redeem {
                outcome = await Self.redeem(bytes, at: now, for: request, verifier: verifier, ledger: location)
            } else {
                outcome = Result { () throws(Denial) in .valid(try verifier.verify(bytes, at: now, for: request)) }
            }
        } catch let error as CommandLineError {
            if json { Terminal.line(String(decoding: CheckReport.error(error.message).serialized(), as: UTF8.self)) }
            throw error
        }
        switch outcome {
        case .success(.valid(let invitation)):
            if json {
                Terminal.line(String(decoding: CheckReport.granted(invitation, subject: subject).serialized(), as: UTF8.self))
            } else {
                Terminal.line(CheckReport.sentence(invitation, subject: subject))
            }
        case .success(.granted(let grant)):
            if json {
                Terminal.line(String(decoding: CheckReport.redeemed(grant).serialized(), as: UTF8.self))
            } else {
                Terminal.line(CheckReport.redeemedSentence(grant))
            }
        case .failure(let denial):
            if json {
                Terminal.line(String(decoding: CheckReport.denied(denial).serialized(), as: UTF8.self))
            } else {
                Terminal.note("\(Terminal.prefix): denied (\(denial.reason.rawValue)): \(Terminal.displayable(denial.detail))")
            }
            throw ExitCode(denial.reason.exitCode)
        }
    }

    /// Every refusal that needs no ledger comes first, so the ledger is opened only for an invitation that may be granted.
    private static func redeem(_ bytes: [UInt8], at now: Timestamp, for request: AccessRequest, verifier: Verifier, ledger location: LedgerLocation) async -> Result<Decision, Denial> {
        do throws(Denial) {
            let verified = try verifier.verifySignature(bytes)
            let invitation = try Admission.precheck(verified, at: now, for: request, verifier: verifier)
            let ledger: any Ledger
            do {
                ledger = try await location.open()
            } catch {
                let why: String
                if case .unavailable(let text) = error { why = text } else { why = "unexpected answer" }
                throw Denial(.ledgerUnavailable, "the ledger is unavailable (\(why)); nothing was granted", invitation: invitation)
            }
            let grant = try await Admission(verifier: verifier, ledger: ledger).redeem(verified, at: now, for: request)
            return .success(.granted(grant))
        } catch {
            return .failure(error)
        }
    }
}
