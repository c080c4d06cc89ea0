import TesseraCLI

CommandRunner.main(TesseraVerify.self)
