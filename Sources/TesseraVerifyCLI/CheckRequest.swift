import ArgumentParser
import TesseraCLI
import TesseraCore

/// One `tessera-verify check`, as plain values: what `Check` parses, or what `init?(arguments:)` reads without ArgumentParser.
public struct CheckRequest: Sendable, Equatable {
    /// The token argument; nil or `-` reads standard input.
    public var token: String?
    /// `--site`, `--keys`, `--revoked`, `--audience`, `--leeway`.
    public var verifier = VerifierInputs()
    /// `--subject`.
    public var subject: String?
    /// `--project`.
    public var project: String?
    /// `--at`.
    public var at: String?
    /// `--redeem`.
    public var redeem = false
    /// `--ledger`.
    public var ledger: String?
    /// `--json`.
    public var json = false

    public init(token: String? = nil, verifier: VerifierInputs = VerifierInputs(), subject: String? = nil, project: String? = nil,
                at: String? = nil, redeem: Bool = false, ledger: String? = nil, json: Bool = false) {
        self.token = token
        self.verifier = verifier
        self.subject = subject
        self.project = project
        self.at = at
        self.redeem = redeem
        self.ledger = ledger
        self.json = json
    }

    /// Called with the ledger of a `--redeem` before the token is read (standard input may hold it): the lean
    /// `tessera-verify`, which links no ledger, hands the whole command to `tessera-verify-full` there. Set once, at start-up.
    nonisolated(unsafe) public static var willRedeem: (@Sendable (LedgerLocation) -> Void)?

    private enum Decision {
        case valid(Invitation)
        case granted(Admission.Grant)
    }

    /// Decides, prints the answer, and throws the exit code of a refusal (`ExitCode`) or a usage error (`CommandLineError`).
    public func run() async throws {
        let outcome: Result<Decision, Denial>
        do {
            // A token given as the argument can be read before the list (standard input is read later, once).
            let argument = token.flatMap { $0 == "-" ? nil : Array($0.utf8) }
            let verifier = try await self.verifier.makeVerifier(for: argument)
            let now = try at.map { (text) throws(CommandLineError) in try OptionValue.timestamp(text, flag: "--at") } ?? Timestamp.now
            if let project { _ = try OptionValue.name(project, flag: "--project") }
            if let subject, !Name.isValidSubject(subject) {
                throw CommandLineError("--subject: must be 1-256 bytes without control characters")
            }
            let location = try LedgerOptions.location(ledger, in: self.verifier.folder)
            if redeem { Self.willRedeem?(location) }
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
                // A path given where the token belongs (`check out/i/ID/token`) is the usual first-run slip.
                if denial.reason == .malformed, let token, token != "-", !token.hasPrefix("v4."), FileSystem.exists(token) {
                    Terminal.note("\(Terminal.prefix): hint: \(token) is a file: the argument is the token itself; to read the file, run 'tessera-verify check - < \(token)'")
                }
                if denial.reason == .notForAudience, denial.invitation?.audience != nil, denial.detail.contains("has no audience set") {
                    Terminal.note("\(Terminal.prefix): hint: set --audience or audience in tessera.toml to the audience this verifier serves")
                }
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
                let why = error.failure ?? "unexpected answer"
                throw Denial(.ledgerUnavailable, "the ledger is unavailable (\(why)); nothing was granted", invitation: invitation)
            }
            let grant = try await Admission(verifier: verifier, ledger: ledger).redeem(verified, at: now, for: request)
            return .success(.granted(grant))
        } catch {
            return .failure(error)
        }
    }
}
