import Foundation
import TesseraCore
import TesseraPostgres

/// Durable redemptions per second through `PostgresLedger` with 32 concurrent clients, beside
/// `SQLiteLedger` measured the same way in the same run.
///
/// The database is `TESSERA_BENCH_POSTGRES_URL`; each run writes into a schema of its own
/// (`tessera_bench_…`), which it leaves behind. Two PostgreSQL figures: all clients redeeming
/// one invitation (its row lock serialises them, as it must to count uses across hosts), and
/// each client its own invitation (what many people joining many invitations look like).
enum PostgresBenchmark {
    static let clients = 32

    static func run(rounds: Int = 5, roundSeconds: Double = 1.0) async throws -> [String] {
        guard let url = ProcessInfo.processInfo.environment["TESSERA_BENCH_POSTGRES_URL"], !url.isEmpty else {
            return ["ledger (PostgreSQL): skipped: set TESSERA_BENCH_POSTGRES_URL=postgres://user:password@host:port/db to measure it"]
        }
        let namespace = "tessera_bench_\(UInt32.random(in: 0...UInt32.max))"
        let postgres = try await PostgresLedger.open(url: url, namespace: namespace)
        defer { postgres.close() }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sqlite = try SQLiteLedger(path: folder + "/ledger.sqlite")
        let counter = LedgerBenchmark.SubjectCounter()

        // One round first, unmeasured: the pool opens its connections.
        _ = try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: true, seconds: 0.3, counter: counter)
        var sqliteRates: [Double] = [], sharedRates: [Double] = [], separateRates: [Double] = []
        for _ in 0..<rounds {
            sqliteRates.append(try await LedgerBenchmark.redemptionRate(sqlite, clients: clients, shared: true, seconds: roundSeconds, counter: counter))
            sharedRates.append(try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: true, seconds: roundSeconds, counter: counter))
            separateRates.append(try await LedgerBenchmark.redemptionRate(postgres, clients: clients, shared: false, seconds: roundSeconds, counter: counter))
        }
        let host = LedgerLocation.postgres(url: url).description
        return [
            "ledger (PostgreSQL at \(host) beside SQLite in \(FileManager.default.temporaryDirectory.path); \(clients) clients; \(rounds) rounds of \(roundSeconds) s each)",
            Measure.line("SQLite: durable redemptions/s, one invitation", Measure.format(Measure.median(sqliteRates))),
            Measure.line("PostgreSQL: redemptions/s, one invitation", Measure.format(Measure.median(sharedRates)), "serialised by its row lock"),
            Measure.line("PostgreSQL: redemptions/s, one invitation per client", Measure.format(Measure.median(separateRates))),
        ]
    }
}
