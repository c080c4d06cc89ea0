/// Edits of `revoked.txt` that keep what people wrote: entries are appended, and only lines that are exactly a given entry are ever removed.
///
/// The file is meant to be edited by hand as well, so nothing here rewrites, reorders or
/// reformats another line or comment.
public struct RevocationFile: Sendable, Equatable {
    /// The file's bytes as read.
    public let text: [UInt8]
    /// The list they hold.
    public let list: RevocationList
    /// Each entry with the 1-based number of the first line holding it.
    public let lines: [(line: Int, entry: RevocationList.Entry)]

    /// Parses the file's text; a malformed line is an error with its number, as for `RevocationList`.
    public init(parsing text: [UInt8]) throws(RevocationList.ParseError) {
        self.text = text
        list = try RevocationList(parsing: text)
        var lines: [(line: Int, entry: RevocationList.Entry)] = []
        for (index, line) in Self.split(text).enumerated() {
            if let entry = Self.entry(in: line) { lines.append((index + 1, entry)) }
        }
        self.lines = lines
    }

    /// Two files are equal when their bytes are.
    public static func == (lhs: RevocationFile, rhs: RevocationFile) -> Bool { lhs.text == rhs.text }

    /// The first line holding `entry`, if the file has it.
    public func line(of entry: RevocationList.Entry) -> Int? {
        lines.first { $0.entry == entry }?.line
    }

    /// The line `tessera revoke` appends: `<entry>  # revoked <time>: <reason>`, on one line whatever the reason holds.
    public static func line(for entry: RevocationList.Entry, reason: String?, at time: Timestamp) -> String {
        var line = "\(entry)  # revoked \(time.rfc3339)"
        if let reason {
            let flat = String(String.UnicodeScalarView(reason.unicodeScalars.map { scalar in
                (scalar.value < 0x20 || scalar.value == 0x7f || (0x80...0x9f).contains(scalar.value)) ? " " : scalar
            }))
            let trimmed = flat.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            if !trimmed.isEmpty { line += ": " + trimmed }
        }
        return line
    }

    /// The bytes to append so that `lines` follow the existing text, each on its own line.
    public func appendix(_ lines: [String]) -> [UInt8] {
        var bytes: [UInt8] = []
        // A hand-edited file may lack its final newline; the new entry must not join its last line.
        if let last = text.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        for line in lines { bytes += Array(line.utf8) + [UInt8(ascii: "\n")] }
        return bytes
    }

    /// The text without the lines whose entry is exactly one of `ids` (comments and every other line kept byte for byte), and the lines removed.
    public func removingInvitations(_ ids: Set<String>) -> (text: [UInt8], removed: [(line: Int, id: String)]) {
        var kept: [ArraySlice<UInt8>] = []
        var removed: [(line: Int, id: String)] = []
        for (index, line) in Self.split(text).enumerated() {
            if case .invitation(let id)? = Self.entry(in: line), ids.contains(id) {
                removed.append((index + 1, id))
            } else {
                kept.append(line)
            }
        }
        guard !removed.isEmpty else { return (text, []) }
        var result: [UInt8] = []
        result.reserveCapacity(text.count)
        for (index, line) in kept.enumerated() {
            if index > 0 { result.append(UInt8(ascii: "\n")) }
            result += line
        }
        return (result, removed)
    }

    private static func split(_ text: [UInt8]) -> [ArraySlice<UInt8>] {
        text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    }

    /// The entry a line holds, read with the same rules as `RevocationList(parsing:)`.
    private static func entry(in line: ArraySlice<UInt8>) -> RevocationList.Entry? {
        var content = line
        // Only the first line can start with a byte order mark: elsewhere `RevocationList` refuses it.
        if content.starts(with: [0xEF, 0xBB, 0xBF]) { content = content.dropFirst(3) }
        if let hash = content.firstIndex(of: UInt8(ascii: "#")) { content = content[..<hash] }
        while let first = content.first, first == 0x20 || first == 0x09 || first == 0x0d { content = content.dropFirst() }
        while let last = content.last, last == 0x20 || last == 0x09 || last == 0x0d { content = content.dropLast() }
        guard !content.isEmpty, let text = String(validating: content, as: UTF8.self) else { return nil }
        return RevocationList.Entry(text)
    }
}
