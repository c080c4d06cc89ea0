import Foundation
import Testing
@testable import TesseraCore
import TesseraTestSupport

/// Issue 12, review F5: `tessera revoke` beside an editor that saves `revoked.txt` by writing a
/// new file and renaming it over the old one.
@Suite(.offThePool) struct RevocationAppendTests {
    static let id = "AAAAAAAAAAAAAAAAAAAAAQ"

    /// A folder holding `revoked.txt` with `text`, removed at the end.
    static func list(_ text: String) throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-append-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("revoked.txt").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return (folder, path)
    }

    /// What an editor does on save: the text it read earlier plus its own edit, written to a new file renamed over the old.
    static func save(_ text: String, to path: String) {
        let temporary = path + ".editor-tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8))
        rename(temporary, path)
    }

    /// The append went to the file the editor then replaced: the line was in no file anyone reads,
    /// and revoke had already said "revoked". The file at the path is read again after each write,
    /// and what is missing is appended to the new one.
    @Test func anEditorReplacingTheFileUnderAnAppendLosesNoLine() throws {
        let original = "# list\n"
        let (folder, path) = try Self.list(original)
        defer { try? FileManager.default.removeItem(at: folder) }
        var saves = 0
        let appended = try RevocationFile.append([.invitation(Self.id), .project("talk")], reason: "left", at: Timestamp(seconds: 1_800_000_000),
                                                 to: path, header: "# new\n") {
            // The editor read the file before the append and saves now, with a line of its own.
            if saves == 0 { Self.save(original + "project:by-hand\n", to: path) }
            saves += 1
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\(Self.id)  # revoked 2027-01-15T08:00:00Z: left\n"), "\(text)")
        #expect(text.contains("project:talk  # revoked"), "\(text)")
        #expect(text.contains("project:by-hand\n"), "the editor's line was lost: \(text)")
        #expect(saves == 2, "written again after the save, then confirmed")
        #expect(appended.added == [.invitation(Self.id), .project("talk")] && appended.alreadyPresent.isEmpty)
    }

    /// The editor saved between revoke's read and its write, its last line without a newline.
    /// Lines made for the old text and appended to the new file by name would have joined that
    /// line: `project:by-hand` would have become another project and been revoked no more. Read
    /// and write go through one descriptor, so they went to the file read, and the new file got
    /// lines made for its own text.
    @Test func anEditorSavingBetweenTheReadAndTheWriteKeepsItsLastLine() throws {
        let original = "# list\n"
        let (folder, path) = try Self.list(original)
        defer { try? FileManager.default.removeItem(at: folder) }
        var reads = 0
        let appended = try RevocationFile.append([.invitation(Self.id)], reason: nil, at: Timestamp(seconds: 0), to: path, header: "# new\n",
                                                 afterRead: {
                                                     if reads == 0 { Self.save(original + "project:by-hand", to: path) }
                                                     reads += 1
                                                 })
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == original + "project:by-hand\n\(Self.id)  # revoked 1970-01-01T00:00:00Z\n", "\(text)")
        #expect(try RevocationList(parsing: Array(text.utf8)).entries.contains(.project("by-hand")), "the editor's entry was changed: \(text)")
        #expect(appended.added == [.invitation(Self.id)])
    }

    /// An entry the file already holds is not written again, and is reported with its line.
    @Test func entriesAlreadyThereAreNotWrittenAgain() throws {
        let (folder, path) = try Self.list("# list\n\(Self.id)\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let appended = try RevocationFile.append([.invitation(Self.id), .invitation(Self.id)], reason: nil, at: Timestamp(seconds: 0), to: path, header: "")
        #expect(appended.alreadyPresent == [.invitation(Self.id): 2] && appended.added.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# list\n\(Self.id)\n")
    }

    /// A file replaced under every write: an error, never a success that is not so.
    @Test func aFileReplacedUnderEveryWriteIsAnError() throws {
        let (folder, path) = try Self.list("# list\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: RevocationFile.AppendFailure.keptChanging(attempts: RevocationFile.maximumAppendAttempts)) {
            try RevocationFile.append([.invitation(Self.id)], reason: nil, at: Timestamp(seconds: 0), to: path, header: "") {
                Self.save("# list\n", to: path)
            }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "# list\n")
    }
}
