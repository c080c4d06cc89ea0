import TesseraCLI

CommandRunner.main(TesseraCommand.self)
