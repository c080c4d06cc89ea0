import Foundation
import Synchronization
import TesseraCore
import TesseraSQLite

/// Durable redemptions per second through `SQLiteLedger`, with 1 and with 32 concurrent clients,
/// beside fsyncs per second on the same disk: a redemption is granted only after its commit
/// is on disk, so the fsync rate is its physical bound, and group commit is what lets many
/// clients share one.
enum LedgerBenchmark {
    static let clients = 32

    static func run(rounds: Int = 5, roundSeconds: Double = 1.0) async throws -> [String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-bench-ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = try SQLiteLedger(path: folder + "/ledger.sqlite")
        let counter = SubjectCounter()

        var fsyncs: [Double] = [], single: [Double] = [], many: [Double] = []
        for _ in 0..<rounds {
            fsyncs.append(try fsyncRate(in: folder, seconds: roundSeconds))
            single.append(try await redemptionRate(ledger, clients: 1, seconds: roundSeconds, counter: counter))
            many.append(try await redemptionRate(ledger, clients: clients, seconds: roundSeconds, counter: counter))
        }
        let fsync = Measure.median(fsyncs), one = Measure.median(single), all = Measure.median(many)
        return [
            "ledger (SQLite, WAL, synchronous=FULL, in \(FileManager.default.temporaryDirectory.path); \(rounds) rounds of \(roundSeconds) s each)",
            Measure.line("fsyncs/s (4 KiB write + fsync, same disk)", Measure.format(fsync)),
            Measure.line("durable redemptions/s, 1 client", Measure.format(one), String(format: "per fsync = %.2f (target ≥ 1)", one / fsync)),
            Measure.line("durable redemptions/s, \(clients) clients", Measure.format(all), String(format: "per fsync = %.2f (target ≥ 5)", all / fsync)),
        ]
    }

    /// 4 KiB writes, each followed by fsync, cycling over a preallocated 1 MiB file: the cost of one durable commit on this disk.
    static func fsyncRate(in folder: String, seconds: Double) throws -> Double {
        let path = folder + "/fsync.probe"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: path, code: errno, action: "cannot create") }
        defer {
            close(fd)
            unlink(path)
        }
        let block = [UInt8](repeating: 0xA5, count: 4096)
        let blocks = 256
        for index in 0..<blocks { _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(index * 4096)) } }
        fsync(fd)
        var index = 0
        return Measure.rate(seconds: seconds, batch: 8) {
            _ = block.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(index % blocks * 4096)) }
            fsync(fd)
            index += 1
        }
    }

    /// Redemptions by new subjects from `clients` concurrent tasks for about `seconds`: of one unlimited invitation, or of one per client.
    static func redemptionRate(_ ledger: any Ledger, clients: Int, shared: Bool = true, seconds: Double, counter: SubjectCounter) async throws -> Double {
        let start = Measure.now()
        let deadline = start + UInt64(seconds * 1e9)
        let expires = Timestamp.now.adding(seconds: 3600)
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for client in 0..<clients {
                group.addTask {
                    var done = 0
                    let invitation = shared ? "bench-invitation" : "bench-invitation-\(client)"
                    while Measure.now() < deadline {
                        let acceptance = Acceptance(invitationID: invitation, subject: "s\(counter.next())", project: "bench", role: "viewer",
                                                    acceptedAt: .now, expiresAt: expires)
                        let redemption = try await ledger.redeem(RedemptionRequest(acceptance: acceptance, maximumUses: nil))
                        precondition(redemption.isNew)
                        done += 1
                    }
                    return done
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / (Double(Measure.now() - start) / 1e9)
    }

    /// Fresh subject names across rounds and clients.
    final class SubjectCounter: Sendable {
        private let value = Mutex(0)
        func next() -> Int { value.withLock { $0 += 1; return $0 } }
    }
}
