import TesseraCLI
import TesseraCore
import TesseraSQLite

// `list` and `prune` read the site's SQLite ledger.
SQLiteLedger.register()
await CommandRunner.main(TesseraCommand.self)
