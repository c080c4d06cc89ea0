import ArgumentParser
import TesseraCLI
import TesseraCore

/// The root of `tessera-verify`, shared by the lean executable and `tessera-verify-full` so that both print the same help.
public enum VerifyCommand {
    /// The root configuration with the given subcommands (`serve` is either the real one or its stand-in).
    public static func configuration(subcommands: [any ParsableCommand.Type]) -> CommandConfiguration {
        CommandConfiguration(
            commandName: "tessera-verify",
            abstract: "Check Tessera invitations with public keys only: this tool cannot mint.",
            discussion: """
            Exit codes of 'check': 0 granted, 2 usage or configuration error, 10 malformed token, \
            11 unknown key or bad signature, 12 expired or not yet valid, 13 revoked, \
            14 not for this subject, project or audience, 15 no uses left, 16 ledger unavailable, 17 membership ended, 18 member removed.
            """,
            version: Tessera.version,
            subcommands: subcommands
        )
    }

    /// `serve`'s summary, the same in both executables.
    public static let serveAbstract = "Answer a reverse proxy's access checks over HTTP (nginx auth_request, Traefik forwardAuth, Caddy forward_auth, Envoy ext_authz)."
}

/// `serve` in the lean `tessera-verify`: listed in its help, run by `tessera-verify-full`.
public struct ServeHandOff: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "serve", abstract: VerifyCommand.serveAbstract)

    public init() {}

    public func run() throws {
        HandOff.run(ProcessArguments.afterProgramName)
    }
}
