import ArgumentParser
import TesseraCore

/// `--ledger sqlite:PATH|postgres://…`: where the verifier records who accepted which invitation.
public struct LedgerOptions: ParsableArguments {
    /// The `--ledger` value as given.
    @Option(name: .long, help: ArgumentHelp("The ledger: sqlite:PATH or postgres://… (default: ledger from tessera.toml, else sqlite:<site>/state/ledger.sqlite).", valueName: "location"))
    public var ledger: String?

    public init() {}

    /// `--ledger`, else `ledger` from the site's tessera.toml (an SQLite path there is relative to the site), else the site's own; a malformed value is a usage error (exit 2).
    public func location(in site: SiteFolder) throws(CommandLineError) -> LedgerLocation {
        if let ledger {
            return try Self.parse(ledger, source: "--ledger")
        }
        guard let configured = try SiteOptions.settings(of: site).ledger else { return .default(for: site) }
        let location = try Self.parse(configured, source: "\(site.settings): ledger")
        if case .sqlite(let path) = location { return .sqlite(path: FileSystem.join(site.root, path)) }
        return location
    }

    private static func parse(_ text: String, source: String) throws(CommandLineError) -> LedgerLocation {
        do {
            return try LedgerLocation(parsing: text)
        } catch {
            let why: String
            if case .unavailable(let text) = error { why = text } else { why = "not a ledger location" }
            throw CommandLineError("\(source): \(why)", hint: "for example sqlite:state/ledger.sqlite or postgres://user:password@host:5432/db")
        }
    }

    /// The exit code for a ledger that cannot be opened, read or written: the same 16 as `check`.
    public static let unavailableExitCode = Reason.ledgerUnavailable.exitCode

    /// Opens the ledger for reading only if it exists; failures are reported with exit 16.
    public static func openExisting(_ location: LedgerLocation) async throws(CommandLineError) -> (any Ledger)? {
        do {
            return try await location.openExisting()
        } catch {
            throw failure(error)
        }
    }

    /// Opens the ledger, creating it if needed; failures are reported with exit 16.
    public static func open(_ location: LedgerLocation) async throws(CommandLineError) -> any Ledger {
        do {
            return try await location.open()
        } catch {
            throw failure(error)
        }
    }

    /// A ledger failure as a command-line error with exit 16.
    public static func failure(_ error: LedgerError) -> CommandLineError {
        let why: String
        switch error {
        case .unavailable(let text): why = text
        case .usedUp, .alreadySignedUp: why = "unexpected answer"
        }
        return CommandLineError("the ledger is unavailable: \(why)", hint: "check that the ledger file is readable and writable, or that the database is reachable; or pass --ledger", exitCode: unavailableExitCode)
    }
}
