import TesseraCLI
import TesseraCore
import TesseraFetch
import TesseraGateway
import TesseraPostgres
import TesseraSQLite

// Everything `tessera-verify` does, plus what it hands over: `serve`, `--revoked https://…`
// (fetched through the HTTP client) and `--ledger postgres://…` (opened through the PostgreSQL client).
SQLiteLedger.register()
LedgerLocation.registerPostgres(opener: PostgresLedger.opener, initializer: PostgresLedger.initializer,
                                schemaVersion: PostgresLedger.schemaVersion)
RevocationSource.registerFetcher(HTTPFetcher.fetch)
Gateway.registerJoinEventPoster { url, headers, body in
    await HTTPFetcher.post(url, headers: headers, body: body).mapError { JoinEventPostError($0.description) }
}
await CommandRunner.main(TesseraVerifyFull.self)
