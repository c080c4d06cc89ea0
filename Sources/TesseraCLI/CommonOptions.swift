import ArgumentParser
import TesseraCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `--site DIR`: the folder holding settings, keys, `out/`, `revoked.txt` and `state/`.
public struct SiteOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The site folder: settings, keys/, out/, revoked.txt, state/.", valueName: "dir"))
    public var site: String = "."

    @Option(name: .long, help: ArgumentHelp("The keys folder (default: <site>/keys).", valueName: "dir"))
    public var keys: String?

    public init() {}

    public func validate() throws {
        // An empty --site (an unset shell variable) would quietly mean the current folder.
        if site.isEmpty { throw ValidationError("--site: an empty path names no folder") }
        if keys?.isEmpty == true { throw ValidationError("--keys: an empty path names no folder") }
    }

    /// The site folder these options name.
    public var folder: SiteFolder { SiteFolder(root: site, keys: keys) }

    /// The seconds a command waits for the site lock: `TESSERA_LOCK_TIMEOUT`, else 60.
    ///
    /// A value that is not a number of seconds is an error, not the default: a typo must not make a
    /// scheduled job wait a minute it was told not to, or give up sooner than it was told to.
    public static func lockTimeout() throws(CommandLineError) -> Double {
        guard let text = getenv("TESSERA_LOCK_TIMEOUT").map({ String(cString: $0) }) else { return 60 }
        let trimmed = text.trimmingASCIIWhitespace()
        // Plain decimal digits only: Double(_:) would also take "nan", "inf" and "0x10".
        let isDecimal = !trimmed.isEmpty && trimmed.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }
            && trimmed.utf8.filter({ $0 == UInt8(ascii: ".") }).count <= 1 && trimmed != "."
        guard isDecimal, let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 else {
            throw CommandLineError("TESSERA_LOCK_TIMEOUT: \(Settings.quoted(Terminal.escapingControls(text))) is not a number of seconds",
                                   hint: "set it to the seconds to wait for the site lock, such as 60 or 0.5, or unset it for the default (60)")
        }
        return seconds
    }

    /// Takes the site's writer lock (`.tessera.lock`, see `SiteLock`), saying so on standard error while another command holds it.
    ///
    /// With `keys`, a command that may create or change keys also locks the keys folder (its own
    /// `.tessera.lock`): other sites may share it (`--keys DIR`, or this site's keys/ given as
    /// theirs), and two first mints must make one key. Always taken after the site's lock, so that
    /// two commands never wait for each other.
    public func lockForWriting(keys: Bool = false) throws(CommandLineError) -> WriterLock {
        let site = try Self.lock(folder)
        guard keys else { return WriterLock([site]) }
        do {
            return WriterLock([site] + (try lockKeysForWriting()).locks)
        } catch {
            site.release()
            throw error
        }
    }

    /// Takes the keys folder's writer lock alone; only after the site's (see `lockForWriting(keys:)`).
    ///
    /// Nothing more is taken when the keys folder is the site folder itself (`--keys .`): its lock
    /// is the site's, already held, and a second `flock` on it would wait for this very process.
    public func lockKeysForWriting() throws(CommandLineError) -> WriterLock {
        let site = FileSystem.realPath(folder.root == "" ? "." : folder.root)
        if let site, FileSystem.realPath(folder.keys) == site { return WriterLock([]) }
        return WriterLock([try Self.lock(folder: folder.keys, mode: 0o700, shownAs: "keys folder")])
    }

    /// Takes the writer lock of any site folder.
    public static func lock(_ folder: SiteFolder) throws(CommandLineError) -> SiteLock {
        let timeout = try lockTimeout()
        return try wait(for: folder.path(SiteLock.fileName), what: "site") { waiting throws(SiteLock.Failure) in
            try SiteLock.acquire(folder, timeout: timeout, waiting: waiting)
        }
    }

    /// Takes the writer lock of a folder that is not a site (a shared keys folder).
    static func lock(folder: String, mode: mode_t, shownAs what: String) throws(CommandLineError) -> SiteLock {
        let timeout = try lockTimeout()
        return try wait(for: FileSystem.join(folder, SiteLock.fileName), what: what) { waiting throws(SiteLock.Failure) in
            try SiteLock.acquire(folder: folder, folderMode: mode, timeout: timeout, waiting: waiting)
        }
    }

    private static func wait(for path: String, what: String, _ acquire: (_ waiting: (Int32?) -> Void) throws(SiteLock.Failure) -> SiteLock) throws(CommandLineError) -> SiteLock {
        do {
            return try acquire { holder in
                let who = holder.map { "tessera (pid \($0))" } ?? "tessera command"
                Terminal.note("\(Terminal.prefix): waiting for another \(who) to finish changing this \(what) (lock \(Terminal.displayable(path)))")
            }
        } catch {
            switch error {
            case .file(let failure):
                throw CommandLineError(failure.description, hint: "the \(what) folder must be writable to change it")
            case .unreadable(let path):
                throw CommandLineError("cannot open the \(what) lock \(path): permission denied (another user's lock file, unreadable to you)", hints: [
                    "its owner can run 'chmod a+r \(path)' (reading is enough to lock), or remove it: the next command makes it again",
                ])
            case .timedOut(let path, let holder, let seconds):
                let who = holder.map { "tessera (pid \($0))" } ?? "tessera command"
                throw CommandLineError("\(path): another \(who) still holds the \(what) lock after \(Self.seconds(seconds))", hints: [
                    "let it finish and run this again, or set TESSERA_LOCK_TIMEOUT to wait longer (seconds)",
                ])
            }
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }

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

/// The writer locks a command holds (the site's, and a shared keys folder's), released together.
public final class WriterLock: Sendable {
    fileprivate let locks: [SiteLock]

    init(_ locks: [SiteLock]) { self.locks = locks }

    /// Releases every lock held (the process's end releases them too), the last taken first.
    public func release() {
        for lock in locks.reversed() { lock.release() }
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
