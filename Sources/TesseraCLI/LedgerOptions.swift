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
        try Self.location(ledger, in: site)
    }

    /// The location `--ledger` (nil when absent) names for `site`, as `location(in:)` resolves it.
    public static func location(_ ledger: String?, in site: SiteFolder) throws(CommandLineError) -> LedgerLocation {
        if let ledger {
            return try parse(ledger, source: "--ledger")
        }
        return try Self.configured(in: site)
    }

    /// `ledger` from the site's tessera.toml (an SQLite path there is relative to the site), else the site's own: what commands without `--ledger` use.
    public static func configured(in site: SiteFolder) throws(CommandLineError) -> LedgerLocation {
        let settings = try SiteOptions.settings(of: site)
        guard let configured = settings.ledger else { return .default(for: site) }
        let location = try parse(configured, source: settings.origin("ledger", in: site.settings))
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

    /// Opens the ledger only if it exists, by default for reading only (nothing is written); failures are reported with exit 16.
    public static func openExisting(_ location: LedgerLocation, access: LedgerAccess = .readOnly) async throws(CommandLineError) -> (any Ledger)? {
        do {
            return try await location.openExisting(access: access)
        } catch {
            throw failure(error, location: location)
        }
    }

    /// Opens the ledger to redeem (a new SQLite file is created; see `LedgerLocation.open()`); failures are reported with exit 16.
    public static func open(_ location: LedgerLocation) async throws(CommandLineError) -> any Ledger {
        do {
            return try await location.open()
        } catch {
            throw failure(error, location: location)
        }
    }

    /// A ledger failure as a command-line error with exit 16, with the hint that fits the ledger's kind.
    public static func failure(_ error: LedgerError, location: LedgerLocation) -> CommandLineError {
        let why = error.failure ?? "unexpected answer"
        return CommandLineError("the ledger is unavailable: \(why)", hint: location.hint(for: error), exitCode: unavailableExitCode)
    }
}
