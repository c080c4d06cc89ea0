import Foundation
import GRDB
import Testing
import TesseraCore
import TesseraSQLite
import TesseraTestSupport

/// Many processes on one ledger file, and processes killed mid-write: the ledger stays consistent and never over-grants.
@Suite(.serialized, .offThePool) struct LedgerRaceTests {
    /// Starts `tessera-verify` with `arguments` without waiting; standard output goes to a pipe.
    private static func start(_ arguments: [String], in folder: TemporaryFolder) throws -> (Process, Pipe) {
        _ = ProcessResult.ignoreBrokenPipes
        let process = Process()
        process.executableURL = Binary.products.appendingPathComponent("tessera-verify")
        process.arguments = arguments
        process.currentDirectoryURL = folder.url
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return (process, out)
    }

    @Test func sixteenProcessesRacingForOneUseHaveExactlyOneWinner() throws { try sixteenProcessesRacingForOneUseHaveExactlyOneWinnerBody() }
    private func sixteenProcessesRacingForOneUseHaveExactlyOneWinnerBody() throws {
        let folder = try TemporaryFolder()
        let rounds = 8, racers = 16
        for round in 0..<rounds {
            // The first round also races to create the ledger file itself.
            let invitation = try mintInvitation(in: folder, "--project", "race", "--role", "viewer", "--uses", "1")
            let processes = try (0..<racers).map { index in
                try Self.start(["check", "--redeem", "--json", "--subject", "r\(round)-s\(index)", invitation.token], in: folder)
            }
            var winners: [String] = []
            var statuses: [Int32] = []
            for (process, out) in processes {
                let output = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                statuses.append(process.terminationStatus)
                if process.terminationStatus == 0 { winners.append(String(decoding: output, as: UTF8.self)) }
            }
            #expect(statuses.filter { $0 == 0 }.count == 1, "round \(round): \(statuses)")
            #expect(statuses.filter { $0 == 15 }.count == racers - 1, "round \(round): \(statuses)")
            let rows = try SQLiteLedgerReader.rows(folder, invitation: invitation.id)
            #expect(rows.count == 1)
            #expect(winners.first?.contains("\"subject\":\"\(rows.first ?? "")\"") == true, "the winner is the one recorded")
        }
    }

    @Test func killingRedeemersAtRandomMomentsLeavesAConsistentLedger() throws { try killingRedeemersAtRandomMomentsLeavesAConsistentLedgerBody() }
    private func killingRedeemersAtRandomMomentsLeavesAConsistentLedgerBody() throws {
        let folder = try TemporaryFolder()
        let uses = 60
        let invitation = try mintInvitation(in: folder, "--project", "crash", "--role", "viewer", "--uses", String(uses))
        let binary = Binary.products.appendingPathComponent("tessera-verify").path
        // One redemption first: the ledger exists and the binary is warm, whatever the machine's load.
        let warmup = try Binary.verify("check", "--redeem", "--json", "--subject", "warmup", invitation.token, in: folder.url)
        #expect(warmup.status == 0, "\(warmup.stderr)")
        var granted: Set<String> = ["warmup"]
        var generator = SystemRandomNumberGenerator()
        let kills = 14
        for round in 0..<kills {
            // Two loops redeem concurrently; each check prints its JSON only after the commit.
            let script = """
                for i in $(seq 1 400); do "$0" check --redeem --json --subject "k\(round)-$1-$i" "$2"; done
                """
            var children: [(Process, Pipe)] = []
            for loop in ["a", "b"] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", script, binary, loop, invitation.token]
                process.currentDirectoryURL = folder.url
                let out = Pipe()
                process.standardOutput = out
                process.standardError = FileHandle.nullDevice
                try process.run()
                children.append((process, out))
            }
            // Under AddressSanitizer each check process starts several times slower: killed within 0.7 s,
            // the loops granted nothing in the CI-style ASan pass, so the window widens there.
            let window: ClosedRange<UInt32> = ProcessInfo.processInfo.environment["ASAN_OPTIONS"] == nil ? 150_000...700_000 : 600_000...2_800_000
            usleep(UInt32.random(in: window, using: &generator))
            // Process starts each shell as the leader of its own process group, which also holds the check it is running.
            for (process, _) in children {
                #expect(getpgid(process.processIdentifier) == process.processIdentifier)
                kill(-process.processIdentifier, SIGKILL)
            }
            for (process, out) in children {
                let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                process.waitUntilExit()
                for line in output.split(separator: "\n") where line.contains("\"granted\":true") {
                    if let start = line.range(of: "\"subject\":\""), let end = line[start.upperBound...].firstIndex(of: "\"") {
                        granted.insert(String(line[start.upperBound..<end]))
                    }
                }
            }
        }
        let path = folder.file("state/ledger.sqlite").path
        let integrity = try DatabaseQueue(path: path).read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(integrity == ["ok"])
        let rows = Set(try SQLiteLedgerReader.rows(folder, invitation: invitation.id))
        #expect(rows.count <= uses, "uses never exceeded")
        #expect(granted.isSubset(of: rows), "every subject answered 'granted' is in the ledger: \(granted.subtracting(rows))")
        #expect(granted.count > 1, "the loops had time to grant something")
    }
}

/// Reads ledger rows with the library, as a verifier would after a crash.
enum SQLiteLedgerReader {
    static func rows(_ folder: TemporaryFolder, invitation: String) throws -> [String] {
        let path = folder.file("state/ledger.sqlite").path
        return try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT subject FROM acceptance WHERE invitation_id = ? ORDER BY use_number", arguments: [invitation])
        }
    }
}
