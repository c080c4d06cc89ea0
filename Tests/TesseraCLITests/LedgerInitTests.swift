import Foundation
import Testing
import TesseraTestSupport

/// `tessera-verify ledger init|status` and the schema rules of issue 16: only `ledger init` creates
/// or migrates; `members` and `ledger status` never write; errors name the database without its
/// password and give hints that fit it.
@Suite(.offThePool) struct LedgerInitTests {
    @Test func sqliteInitCreatesOnceAndStatusReadsIt() throws { try sqliteInitCreatesOnceAndStatusReadsItBody() }
    private func sqliteInitCreatesOnceAndStatusReadsItBody() throws {
        let folder = try TemporaryFolder()
        let ledger = "sqlite:" + folder.file("l/ledger.sqlite").path
        let missing = try Binary.run("tessera-verify", ["ledger", "status", "--ledger", ledger], in: folder.url)
        #expect(missing.status == 16)
        #expect(missing.stderr.contains("tessera: hint: run tessera-verify ledger init"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.file("l/ledger.sqlite").path), "status creates nothing")

        let created = try Binary.run("tessera-verify", ["ledger", "init", "--ledger", ledger], in: folder.url)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("created the ledger at \(ledger) (schema version 3)"), "\(created.stdout)")
        let again = try Binary.run("tessera-verify", ["ledger", "init", "--ledger", ledger], in: folder.url)
        #expect(again.stdout.contains("nothing to do"), "\(again.stdout)")
        let status = try Binary.run("tessera-verify", ["ledger", "status", "--ledger", ledger], in: folder.url)
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("schema: version 3") && status.stdout.contains("acceptances: 0"), "\(status.stdout)")
    }

    /// An empty file where the ledger should be: `members` says to run `ledger init`, and leaves the file as it was.
    /// Before, reading created the schema.
    @Test func membersOnAFileWithoutSchemaAsksForInitAndWritesNothing() throws { try membersOnAFileWithoutSchemaAsksForInitAndWritesNothingBody() }
    private func membersOnAFileWithoutSchemaAsksForInitAndWritesNothingBody() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("empty.sqlite").path
        FileManager.default.createFile(atPath: path, contents: Data())
        let result = try Binary.run("tessera-verify", ["members", "--ledger", "sqlite:" + path], in: folder.url)
        #expect(result.status == 16)
        #expect(result.stderr.contains("no ledger schema") && result.stderr.contains("tessera: hint: run tessera-verify ledger init"), "\(result.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
        #expect(size == 0, "members wrote \(size) bytes")
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test(.enabled(if: SharedDatabase.canRace, Comment(rawValue: SharedDatabase.missingURL)))
    func postgresReadersRefuseAMissingSchemaWithTheInitHintAndCreateNothing() throws { try postgresReadersBody() }
    private func postgresReadersBody() throws {
        guard let base = SharedDatabase.requireURL() else { return }
        let folder = try TemporaryFolder()
        _ = try mintInvitation(in: folder, "--project", "p", "--role", "viewer")
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let url = base + "?schema=" + schema
        let components = URLComponents(string: base)!
        let shown = "postgres://\(components.user!)@\(components.host!):\(components.port!)/\(components.path.dropFirst())?schema=\(schema)"
        for command in [["members"], ["ledger", "status"]] {
            let result = try Binary.run("tessera-verify", command + ["--ledger", url], in: folder.url)
            #expect(result.status == 16, "\(command): \(result.stderr)")
            #expect(result.stderr.contains(shown), "names the database without its password: \(result.stderr)")
            #expect(!result.stderr.contains(components.password!), "no password")
            #expect(result.stderr.contains("tessera: hint: run tessera-verify ledger init"), "\(result.stderr)")
            #expect(!result.stderr.contains("file"), "no file hint for a database: \(result.stderr)")
        }
        // A gateway does not create the schema either: it refuses to start, with the same hint.
        let serve = try Binary.run("tessera-verify", ["serve", "--listen", "127.0.0.1:\(try freeLoopbackPort())", "--ledger", url], in: folder.url)
        #expect(serve.status == 16, "\(serve.stderr)")
        #expect(serve.stderr.contains("ledger init"), "\(serve.stderr)")
        let still = try Binary.run("tessera-verify", ["ledger", "status", "--ledger", url], in: folder.url)
        #expect(still.status == 16, "looking created nothing")

        let created = try Binary.run("tessera-verify", ["ledger", "init", "--ledger", url], in: folder.url)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("created the ledger at \(shown)"), "\(created.stdout)")
        let members = try Binary.run("tessera-verify", ["members", "--ledger", url], in: folder.url)
        #expect(members.status == 0, "\(members.stderr)")
    }

    @Test func anUnreachableDatabaseGetsAPostgresHint() throws { try anUnreachableDatabaseGetsAPostgresHintBody() }
    private func anUnreachableDatabaseGetsAPostgresHintBody() throws {
        let folder = try TemporaryFolder()
        let result = try Binary.run("tessera-verify", ["members", "--ledger", "postgres://tessera:hunter2@127.0.0.1:1/tessera"], in: folder.url)
        #expect(result.status == 16)
        #expect(result.stderr.contains("postgres://tessera@127.0.0.1:1/tessera"), "\(result.stderr)")
        #expect(!result.stderr.contains("hunter2"))
        #expect(result.stderr.contains("tessera: hint: check that PostgreSQL is running and reachable at 127.0.0.1:1"), "\(result.stderr)")
        #expect(!result.stderr.contains("file"), "\(result.stderr)")
    }
}
