import Foundation
import GRDB
import TesseraCore
import TesseraMint
import TesseraSQLite
import TesseraPostgres

/// The shared ledger beside PostgreSQL's own rates, all measured in one run (issue 16):
///
/// - first uses/s through `PostgresLedger` ÷ single-row `INSERT` transactions/s, 32 clients, on a
///   pool configured like the ledger's (and, when `pgbench` is installed, beside pgbench's rate);
/// - repeat admissions/s of existing members ÷ `SELECT` of one row by primary key, 32 clients;
/// - joins/s through HTTP (`POST /join`, a distinct invitation each) with 3 `tessera-verify serve`
///   processes on the database ÷ with 1 (needs `wrk` and a release `tessera-verify`);
/// - first-use latency with 1,000,000 ledger rows ÷ with 1,000, for SQLite and for PostgreSQL.
///
/// The database is `TESSERA_BENCH_POSTGRES_URL`; each run writes into PostgreSQL schemas of its
/// own (`tessera_bench_…`), which it leaves behind. Rounds alternate between a figure and its
/// reference, so load from elsewhere on a shared machine hits both alike; figures are medians.
enum PostgresBenchmark {
    static let clients = 32

    static func run(rounds: Int = 5, roundSeconds: Double = 1.0, quick: Bool = false) async throws -> [String] {
        guard let url = ProcessInfo.processInfo.environment["TESSERA_BENCH_POSTGRES_URL"], !url.isEmpty else {
            return ["ledger (PostgreSQL): skipped: set TESSERA_BENCH_POSTGRES_URL=postgres://user:password@host:port/db to measure it"]
        }
        let namespace = "tessera_bench_\(UInt32.random(in: 0...UInt32.max))"
        // `TESSERA_BENCH_LANES` tries another number of statements in flight at once (`PostgresLedger.open(lanes:)`).
        let lanes = ProcessInfo.processInfo.environment["TESSERA_BENCH_LANES"].flatMap { Int($0) } ?? PostgresLedger.defaultLanes
        let postgres = try await PostgresLedger.open(url: url, namespace: namespace, access: .initialize, lanes: lanes)
        defer { postgres.close() }
        let probe = try PostgresProbe(url: url, namespace: namespace)
        try await probe.prepare(namespace: namespace)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sqlite = try SQLiteLedger(path: folder + "/ledger.sqlite")
        let counter = LedgerBenchmark.SubjectCounter()

        // Members for the repeat figure: 100 per client, already in the ledger; and as many probe rows.
        let members = 100
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<clients {
                group.addTask {
                    for index in 0..<members {
                        _ = try await postgres.redeem(RedemptionRequest(acceptance: acceptance("bench-repeat-\(client)", "m\(index)"), maximumUses: nil))
                        try await probe.insert("member-\(client)-\(index)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let pgbench = Pgbench(url: url, namespace: namespace)
        try await pgbench?.prepare(probe: probe, rows: clients * members)

        // One round first, unmeasured: the pools open their connections.
        _ = try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: false, seconds: 0.3, counter: counter)
        _ = try await rate(clients: clients, seconds: 0.3) { client, step in try await probe.insert("warm-\(client)-\(step)-\(counter.next())") }
        var sqliteRates: [Double] = [], sharedRates: [Double] = [], firstUses: [Double] = [], inserts: [Double] = []
        var repeats: [Double] = [], selects: [Double] = [], pgbenchInserts: [Double] = [], pgbenchSelects: [Double] = [], shaped: [Double] = []
        for _ in 0..<rounds {
            firstUses.append(try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: false, seconds: roundSeconds, counter: counter))
            inserts.append(try await rate(clients: clients, seconds: roundSeconds) { client, step in
                try await probe.insert("i-\(counter.next())")
            })
            shaped.append(try await rate(clients: clients, seconds: roundSeconds) { client, step in
                try await probe.firstUseShape("s-\(counter.next())")
            })
            repeats.append(try await rate(clients: clients, seconds: roundSeconds) { client, step in
                let redemption = try await postgres.redeem(RedemptionRequest(acceptance: acceptance("bench-repeat-\(client)", "m\(step % members)"), maximumUses: nil))
                precondition(!redemption.isNew)
            })
            selects.append(try await rate(clients: clients, seconds: roundSeconds) { client, step in
                try await probe.select("member-\(client)-\(step % members)")
            })
            if let pgbench {
                if let tps = pgbench.run(.insert, clients: clients, seconds: roundSeconds, expectedRate: inserts.last ?? 1000) { pgbenchInserts.append(tps) }
                if let tps = pgbench.run(.select, clients: clients, seconds: roundSeconds, expectedRate: selects.last ?? 1000) { pgbenchSelects.append(tps) }
            }
            sqliteRates.append(try await LedgerBenchmark.redemptionRate(sqlite, clients: clients, shared: true, seconds: roundSeconds, counter: counter))
            sharedRates.append(try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: true, seconds: roundSeconds, counter: counter))
        }
        let host = LedgerLocation.postgres(url: url).description
        let first = Measure.median(firstUses), insert = Measure.median(inserts)
        let again = Measure.median(repeats), select = Measure.median(selects)
        var lines = [
            "ledger (PostgreSQL at \(host) beside SQLite in \(FileManager.default.temporaryDirectory.path); \(clients) clients, \(lanes) lanes; \(rounds) interleaved rounds of \(roundSeconds) s each)",
            Measure.line("PostgreSQL: single-row INSERT transactions/s (same pool)", Measure.format(insert)),
            Measure.line("PostgreSQL ledger: first uses/s, one invitation per client", Measure.format(first),
                         String(format: "÷ INSERT = %.2f (target ≥ 0.5)", first / insert)),
            Measure.line("PostgreSQL: SELECT miss, then INSERT/s (same pool)", Measure.format(Measure.median(shaped)),
                         String(format: "first uses ÷ this = %.2f", first / Measure.median(shaped))),
            Measure.line("PostgreSQL: SELECT of one row by primary key/s (same pool)", Measure.format(select)),
            Measure.line("PostgreSQL ledger: repeat admissions/s of members", Measure.format(again),
                         String(format: "÷ SELECT = %.2f (target ≥ 0.5)", again / select)),
        ]
        if !pgbenchInserts.isEmpty, !pgbenchSelects.isEmpty {
            let i = Measure.median(pgbenchInserts), s = Measure.median(pgbenchSelects)
            lines.append(Measure.line("pgbench -c \(clients): INSERT transactions/s", Measure.format(i), String(format: "first uses ÷ this = %.2f", first / i)))
            lines.append(Measure.line("pgbench -c \(clients): SELECT by primary key/s", Measure.format(s), String(format: "repeats ÷ this = %.2f", again / s)))
        } else {
            lines.append("  (pgbench not found or failed: its figures are left out)")
        }
        lines += [
            Measure.line("PostgreSQL ledger: first uses/s, all of one invitation", Measure.format(Measure.median(sharedRates)), "serialised by its row lock"),
            Measure.line("SQLite: durable first uses/s, one invitation", Measure.format(Measure.median(sqliteRates))),
        ]
        lines += try await latency(url: url, folder: folder, samples: quick ? 100 : 400)
        lines += try await Gateways.run(url: url, namespace: namespace, rounds: quick ? 1 : 3, seconds: quick ? 2 : 3)
        return lines
    }

    static func acceptance(_ invitation: String, _ subject: String) -> Acceptance {
        Acceptance(invitationID: invitation, subject: subject, project: "bench", role: "viewer", acceptedAt: .now, expiresAt: Timestamp.now.adding(seconds: 3600))
    }

    /// Calls of `body` per second from `clients` concurrent tasks for about `seconds`; `body` gets the client and its step.
    static func rate(clients: Int, seconds: Double, _ body: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Double {
        let start = Measure.now()
        let deadline = start + UInt64(seconds * 1e9)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var done = 0
                    while Measure.now() < deadline {
                        try await body(client, done)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / (Double(Measure.now() - start) / 1e9)
    }

    // MARK: - Latency with a large ledger

    /// Median latency of one first use (one client) with 1,000 and with 1,000,000 rows already in the ledger, SQLite and PostgreSQL.
    static func latency(url: String, folder: String, samples: Int) async throws -> [String] {
        let sizes = [1_000, 1_000_000]
        var sqliteLedgers: [SQLiteLedger] = [], postgresLedgers: [PostgresLedger] = []
        for size in sizes {
            let path = folder + "/rows-\(size).sqlite"
            _ = try SQLiteLedger(path: path)
            // Ten rows per invitation, as many invitations as that takes; the trigger counts the uses.
            try await DatabaseQueue(path: path).write { db in
                try db.execute(sql: """
                    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < \(size))
                    INSERT INTO acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number)
                    SELECT 'fill-' || (i / 10), 'subject-' || i, 'bench', 'viewer', 1790000000, 4102444800, 1 + i % 10 FROM n
                    """)
            }
            sqliteLedgers.append(try SQLiteLedger(path: path))
            let namespace = "tessera_bench_rows_\(size)_\(UInt32.random(in: 0...UInt32.max))"
            let ledger = try await PostgresLedger.open(url: url, namespace: namespace, deadline: .seconds(120), access: .initialize)
            let probe = try PostgresProbe(url: url, namespace: namespace)
            try await probe.execute("""
                INSERT INTO tessera_invitation (invitation_id, uses_taken, expires_at) SELECT 'fill-' || i, 10, 4102444800 FROM generate_series(0, \(size / 10 - 1)) AS i
                """)
            try await probe.execute("""
                INSERT INTO tessera_acceptance (invitation_id, subject, project, role, accepted_at, expires_at, use_number)
                SELECT 'fill-' || (i / 10), 'subject-' || i, 'bench', 'viewer', 1790000000, 4102444800, 1 + i % 10
                FROM generate_series(0, \(size - 1)) AS i
                """)
            try await probe.execute("ANALYZE tessera_acceptance")
            try await probe.execute("ANALYZE tessera_invitation")
            postgresLedgers.append(ledger)
        }
        defer { postgresLedgers.forEach { $0.close() } }
        // Interleaved: one first use on each ledger in turn, new invitations among the filled ones' keys.
        var times = Array(repeating: [Double](), count: 4)
        for sample in 0..<samples {
            for (index, ledger) in (sqliteLedgers.map { $0 as any Ledger } + postgresLedgers.map { $0 as any Ledger }).enumerated() {
                let start = Measure.now()
                let redemption = try await ledger.redeem(RedemptionRequest(acceptance: acceptance("late-\(sample)-\(UInt32.random(in: 0...UInt32.max))", "s"), maximumUses: 5))
                precondition(redemption.isNew)
                times[index].append(Double(Measure.now() - start) / 1e3)
            }
        }
        let median = times.map(Measure.median)
        return [
            "first-use latency, one client, \(samples) interleaved samples each (µs, median)",
            Measure.line("SQLite, 1,000 rows → 1,000,000 rows", String(format: "%.0f → %.0f µs", median[0], median[1]),
                         String(format: "ratio %.2f (target ≤ 1.5)", median[1] / median[0])),
            Measure.line("PostgreSQL, 1,000 rows → 1,000,000 rows", String(format: "%.0f → %.0f µs", median[2], median[3]),
                         String(format: "ratio %.2f (target ≤ 1.5)", median[3] / median[2])),
        ]
    }
}

/// `pgbench` with a custom script, as PostgreSQL's own rate beside the ledger's.
struct Pgbench {
    enum Script { case insert, select }

    let executable: String
    let url: URLComponents
    let namespace: String
    let folder: String

    init?(url: String, namespace: String) {
        guard let executable = ["/usr/bin/pgbench", "/usr/local/bin/pgbench"].first(where: FileManager.default.isExecutableFile)
            ?? (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last.map({ "/usr/lib/postgresql/\($0)/bin/pgbench" }),
              FileManager.default.isExecutableFile(atPath: executable),
              let components = URLComponents(string: url) else { return nil }
        self.executable = executable
        self.url = components
        self.namespace = namespace
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-pgbench-\(UUID().uuidString)").path
    }

    /// A table of its own for inserts (identity key) and `rows` rows to select by key.
    func prepare(probe: PostgresProbe, rows: Int) async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try await probe.execute("CREATE TABLE \(namespace).tessera_pgbench (k bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text NOT NULL)")
        try await probe.execute("INSERT INTO \(namespace).tessera_pgbench (v) SELECT 'x' FROM generate_series(1, \(rows))")
        try "INSERT INTO \(namespace).tessera_pgbench (v) VALUES ('x');\n".write(toFile: folder + "/insert.sql", atomically: true, encoding: .utf8)
        try "\\set k random(1, \(rows))\nSELECT v FROM \(namespace).tessera_pgbench WHERE k = :k;\n".write(toFile: folder + "/select.sql", atomically: true, encoding: .utf8)
    }

    /// Transactions per second of `pgbench -c clients` for about `seconds` at `expectedRate`, or nil when it fails.
    ///
    /// A number of transactions (`-t`), not a duration (`-T`): pgbench ends a duration with SIGALRM,
    /// which a process started from a worker thread of this one inherits blocked, and it then ran
    /// for ever (seen: ten minutes of a 1 s run).
    func run(_ script: Script, clients: Int, seconds: Double, expectedRate: Double) -> Double? {
        let perClient = max(20, Int(expectedRate * seconds / Double(clients)))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-n", "-c", String(clients), "-j", "2", "-t", String(perClient), "-M", "prepared",
                             "-f", folder + (script == .insert ? "/insert.sql" : "/select.sql"),
                             "-h", url.host ?? "127.0.0.1", "-p", String(url.port ?? 5432), "-U", url.user ?? "postgres",
                             String(url.path.dropFirst())]
        var environment = ProcessInfo.processInfo.environment
        if let password = url.password { environment["PGPASSWORD"] = password }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        // "tps = 1234.567890 (without initial connection time)"
        for line in text.split(separator: "\n") where line.hasPrefix("tps = ") {
            let number = line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }
            return Double(number)
        }
        return nil
    }
}
