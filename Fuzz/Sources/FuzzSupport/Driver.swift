#if canImport(Glibc)
import Glibc
#endif
import CLibFuzzer

/// Runs libFuzzer with the process's arguments, calling `test` once per input, and exits with its status.
public func runFuzzer(_ test: @escaping @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
