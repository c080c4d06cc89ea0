import TesseraCLI
import TesseraCore
import TesseraPostgres

// Only the verifier links the PostgreSQL client: `--ledger postgres://…` opens through it.
LedgerLocation.registerPostgresOpener(PostgresLedger.opener)
await CommandRunner.main(TesseraVerify.self)
