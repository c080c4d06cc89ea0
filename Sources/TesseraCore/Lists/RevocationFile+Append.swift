extension RevocationFile {
    /// What `append(_:reason:at:to:header:)` found and wrote.
    public struct Appended: Sendable {
        /// The entries the file already held when first read, each with its line there.
        public let alreadyPresent: [RevocationList.Entry: Int]
        /// The entries written now, all of them in the file at the path when the call returned.
        public let added: [RevocationList.Entry]
    }

    /// Why entries could not be appended.
    public enum AppendFailure: Error, Sendable, Equatable {
        /// The file could not be read or written.
        case file(FileError)
        /// The file holds a malformed line.
        case malformed(RevocationList.ParseError)
        /// The file was replaced under the write every time, `attempts` times: nothing can be said to be in it.
        case keptChanging(attempts: Int)
    }

    /// How many times `append` writes before giving up on a file that keeps being replaced.
    public static let maximumAppendAttempts = 5

    /// Appends a line for each of `entries` the file lacks, then reads the file now at `path` again
    /// and returns only once every entry is in it.
    ///
    /// `revoked.txt` is edited by hand too, and an editor saves by writing a new file and renaming
    /// it over the old one. Each round reads the file and appends to it through one descriptor
    /// (`FileSystem.append(to:)`), so the lines follow exactly the text they were made for; but a
    /// rename in between sends them to a file nobody reads any more. So an append is not taken as
    /// done until the file at the path holds the entry; when it does not, what is missing is
    /// appended to the new one (compare and retry, as `prune` does for its rewrite). The caller
    /// holds the site lock, so no other `tessera` command writes meanwhile.
    public static func append(_ entries: [RevocationList.Entry], reason: String?, at time: Timestamp, to path: String,
                              header: String) throws(AppendFailure) -> Appended {
        try append(entries, reason: reason, at: time, to: path, header: header, afterRead: {}, afterWrite: {})
    }

    /// `append` with hooks run after each read and after each write, where a test replaces the
    /// file as an editor would.
    static func append(_ entries: [RevocationList.Entry], reason: String?, at time: Timestamp, to path: String,
                       header: String, afterRead: () -> Void = {}, afterWrite: () -> Void = {}) throws(AppendFailure) -> Appended {
        var wanted: [RevocationList.Entry] = []
        for entry in entries where !wanted.contains(entry) { wanted.append(entry) }
        var alreadyPresent: [RevocationList.Entry: Int]?
        var attempts = 0
        while true {
            var malformed: RevocationList.ParseError?
            var missing: [RevocationList.Entry] = []
            do throws(FileError) {
                try FileSystem.append(to: path) { bytes in
                    let file: RevocationFile?
                    do throws(RevocationList.ParseError) {
                        file = try bytes.map { (text) throws(RevocationList.ParseError) in try RevocationFile(parsing: text) }
                    } catch {
                        malformed = error
                        return nil
                    }
                    if alreadyPresent == nil { alreadyPresent = Self.lines(of: wanted, in: file) }
                    missing = wanted.filter { file?.line(of: $0) == nil }
                    guard !missing.isEmpty, attempts < maximumAppendAttempts else { return nil }
                    afterRead()
                    let lines = missing.map { line(for: $0, reason: reason, at: time) }
                    return file?.appendix(lines) ?? Array(header.utf8) + lines.flatMap { Array(($0 + "\n").utf8) }
                }
            } catch {
                throw .file(error)
            }
            if let malformed { throw .malformed(malformed) }
            if missing.isEmpty {
                let present = alreadyPresent ?? [:]
                return Appended(alreadyPresent: present, added: wanted.filter { present[$0] == nil })
            }
            guard attempts < maximumAppendAttempts else { throw .keptChanging(attempts: attempts) }
            attempts += 1
            afterWrite()
        }
    }

    /// The line of each of `entries` that `file` holds.
    private static func lines(of entries: [RevocationList.Entry], in file: RevocationFile?) -> [RevocationList.Entry: Int] {
        var present: [RevocationList.Entry: Int] = [:]
        for entry in entries { if let line = file?.line(of: entry) { present[entry] = line } }
        return present
    }
}
