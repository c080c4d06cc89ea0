import TesseraCLI

await CommandRunner.main(TesseraVerify.self)
