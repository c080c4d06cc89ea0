import ArgumentParser
import TesseraCore

/// `--site DIR`: the folder holding settings, keys, `out/`, `revoked.txt` and `state/`.
public struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The site folder: settings, keys/, out/, revoked.txt, state/.", valueName: "dir"))
    public var site: String = "."

    @Option(name: .long, help: ArgumentHelp("The keys folder (default: <site>/keys).", valueName: "dir"))
    public var keys: String?

    public init() {}

    /// The site folder these options name.
    public var folder: SiteFolder { SiteFolder(root: site, keys: keys) }

    /// The site's `tessera.toml` (defaults when there is none); a bad line is a usage error naming it.
    public func settings() throws(CommandLineError) -> Settings {
        try Self.settings(of: folder)
    }

    /// The `tessera.toml` of any site folder, with the same error form.
    public static func settings(of folder: SiteFolder) throws(CommandLineError) -> Settings {
        do {
            return try Settings.load(folder)
        } catch {
            throw CommandLineError(error.description, hint: "fix that line of tessera.toml (flags override its settings)")
        }
    }
}

/// Parsing helpers shared by both tools, each returning a `CommandLineError` that names its flag.
public enum OptionValue {
    /// An RFC 3339 time for `flag`.
    public static func timestamp(_ text: String, flag: String) throws(CommandLineError) -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else {
            throw CommandLineError("\(flag): \"\(text)\" is not an RFC 3339 time", hint: "write it as 2026-12-01T18:00:00Z (uppercase T and Z, or an offset such as +02:00)")
        }
        return time
    }

    /// A span such as `60s` or `2m` for `flag`.
    public static func seconds(_ text: String, flag: String) throws(CommandLineError) -> Int64 {
        guard let seconds = TimeSpan.seconds(in: text) else {
            throw CommandLineError("\(flag): \"\(text)\" is not a length of time", hint: "write a number with s, m, h, d or w, such as 60s or 14d")
        }
        return seconds
    }

    /// A project or role name for `flag`.
    public static func name(_ text: String, flag: String) throws(CommandLineError) -> String {
        guard Name.isValidProjectOrRole(text) else {
            throw CommandLineError("\(flag): \"\(text)\" is not a valid name", hint: "use 1-64 of A-Z a-z 0-9 . _ -")
        }
        return text
    }
}
