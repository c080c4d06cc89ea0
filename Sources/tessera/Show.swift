import ArgumentParser
import TesseraCLI
import TesseraCore

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode a token, verify it against the site's keys and revocation list, and print its claims.",
        discussion: "The exit code is the one 'tessera-verify check' would give. The token itself is never printed."
    )

    @Argument(help: ArgumentHelp("The token, or '-' to read it from standard input.", valueName: "token"))
    var token: String?

    @OptionGroup var verifierOptions: VerifierOptions

    @Flag(help: "Print the claims and the verdict as one JSON object.")
    var json = false

    func run() async throws {
        let verifier = try await verifierOptions.makeVerifier()
        let bytes = try TokenInput.read(token)
        let now = Timestamp.now
        var verdict: Result<Invitation, Denial>
        var claims: JSONValue?
        var keyID: KeyID?
        var delegation: VerifiedDelegation?
        do {
            let verified = try verifier.verifySignature(bytes)
            claims = verified.invitation.claims
            keyID = verified.keyID
            delegation = verified.delegation
            verdict = Result { () throws(Denial) in try verifier.authorize(verified, at: now) }
        } catch {
            verdict = .failure(error)
            // Shown for diagnosis only, and labelled as untrusted.
            if let parsed = try? SignedToken(parsing: bytes, maximumFooterLength: Footer.maximumDelegatedLength) {
                claims = try? JSONParser(maxDepth: 16).parse(parsed.message)
                keyID = (try? Footer.parse(parsed.footer))?.keyID
            }
        }
        let trusted: Bool
        if case .success = verdict { trusted = true } else if case .failure(let denial) = verdict, denial.invitation != nil { trusted = true } else { trusted = false }

        if json {
            var members: [(key: String, value: JSONValue)] = [
                ("valid", .bool(trusted && (try? verdict.get()) != nil)),
                ("signature", .string(trusted ? "valid" : "unverified")),
                ("key", keyID.map { .string($0.rawValue) } ?? .null),
                ("delegation", delegation.map { .string($0.delegation.name) } ?? .null),
                ("claims", claims ?? .null),
            ]
            if case .failure(let denial) = verdict {
                members.append(("reason", .string(denial.reason.rawValue)))
                members.append(("detail", .string(denial.detail)))
            }
            Terminal.line(String(decoding: JSONValue.object(members).serialized(), as: UTF8.self))
        } else {
            if let keyID, let delegation {
                Terminal.line(pad("key") + keyID.rawValue + " (delegated: \(delegation.delegation.name), signed by root \(delegation.signer))")
            } else if let keyID {
                Terminal.line(pad("key") + keyID.rawValue + (verifier.keyring[keyID] == nil ? " (not trusted here)" : ""))
            }
            Terminal.line(pad("signature") + (trusted ? "valid" : "NOT VERIFIED: the claims below cannot be trusted"))
            if let members = claims?.objectMembers {
                for (name, value) in members {
                    // Possibly unverified: escaped, so a claim cannot rewrite the "NOT VERIFIED" line above it.
                    Terminal.line(Terminal.displayable(pad(name) + (value.stringValue ?? String(decoding: value.serialized(), as: UTF8.self))))
                }
            }
            switch verdict {
            case .success: Terminal.line(pad("status") + "valid")
            case .failure(let denial): Terminal.line(pad("status") + Terminal.displayable("\(denial.reason.rawValue): \(denial.detail)"))
            }
        }
        if case .failure(let denial) = verdict { throw ExitCode(denial.reason.exitCode) }
    }

    private func pad(_ name: String) -> String {
        name + String(repeating: " ", count: max(1, 11 - name.count))
    }
}
