import Foundation
import TesseraCore

// Each figure is printed beside its physical reference, measured in the same run with the
// same library: raw Ed25519 for tokens, openssl for a whole process. Rounds alternate
// between the two sides so that load from elsewhere on a shared machine hits both alike;
// the figures are medians and the ratios are ratios of medians.

let arguments = CommandLine.arguments.dropFirst()
let quick = arguments.contains("--quick")
let sections = Set(arguments.filter { !$0.hasPrefix("--") })
func wanted(_ name: String) -> Bool { sections.isEmpty || sections.contains(name) }

print("tessera-bench \(Tessera.version): \(Machine.summary)")
print("medians of interleaved rounds; run with `swift run -c release tessera-bench [tokens] [process] [ledger] [postgres] [pages] [--quick]`")

if wanted("tokens") {
    print("")
    TokenBenchmark(rounds: quick ? 3 : 9, roundSeconds: quick ? 0.1 : 0.3).run().forEach { print($0) }
}
if wanted("process") {
    print("")
    do {
        try ProcessBenchmark(runs: quick ? 15 : 60).run().forEach { print($0) }
    } catch {
        print("process: skipped: \(error)")
    }
}
if wanted("ledger") {
    print("")
    do {
        try await LedgerBenchmark.run().forEach { print($0) }
    } catch {
        print("ledger: failed: \(error)")
    }
}
if wanted("postgres") {
    print("")
    do {
        try await PostgresBenchmark.run(rounds: quick ? 3 : 5, quick: quick).forEach { print($0) }
    } catch {
        print("postgres: failed: \(error)")
    }
}
if wanted("pages") {
    print("")
    do {
        try PagesBenchmark(count: quick ? 2_000 : 10_000, rounds: quick ? 1 : 3).run().forEach { print($0) }
    } catch {
        print("pages: failed: \(error)")
    }
}
