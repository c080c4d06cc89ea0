import TesseraCLI

await CommandRunner.main(TesseraCommand.self)
