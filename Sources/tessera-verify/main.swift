import TesseraCLI
import TesseraCore
import TesseraFetch
import TesseraPostgres

// Only the verifier links the PostgreSQL and HTTP clients: `--ledger postgres://…` opens
// through the one, `--revoked https://…` fetches through the other.
LedgerLocation.registerPostgresOpener(PostgresLedger.opener)
RevocationSource.registerFetcher(HTTPFetcher.fetch)
await CommandRunner.main(TesseraVerify.self)
