import TesseraCLI
import TesseraCore
import TesseraVerifyCLI

// The lean verifier: `check`, with no HTTP server, HTTP client, PostgreSQL client or ledger in the
// binary (SQLite's GRDB brings all of Foundation and 34 MB of ICU data). Whatever needs one of
// those (serve, --revoked https://…, --redeem, members, ledger) runs in `tessera-verify-full`,
// next to this executable, with the same command line (see HandOff).
let arguments = ProcessArguments.afterProgramName
if arguments.first == "serve" || (arguments.first == "help" && arguments.dropFirst().first == "serve") {
    HandOff.run(arguments)
}
LedgerLocation.registerSQLite(opener: { _, _ in HandOff.run(arguments) }, initializer: { _ in HandOff.run(arguments) })
LedgerLocation.registerPostgres(opener: { _, _ in HandOff.run(arguments) }, initializer: { _ in HandOff.run(arguments) })
RevocationSource.registerFetcher { _, _ in HandOff.run(arguments) }
CheckRequest.willRedeem = { _ in HandOff.run(arguments) }

// The common forms of `check` are read here; anything else (help, errors) goes through ArgumentParser.
if arguments.first == "check", let request = CheckRequest(arguments: arguments.dropFirst()) {
    await CommandRunner.run { try await request.run() }
}
await CommandRunner.main(TesseraVerify.self)
