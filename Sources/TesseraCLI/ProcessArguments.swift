import CProcessArguments
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// This process's command line, program name first, also where the Swift runtime cannot read it.
///
/// On Linux, `CommandLine.arguments` comes from `/proc/self/cmdline`: without `/proc` (a chroot,
/// a bare container) it is empty, and `tessera-verify check GARBAGE` printed the help and exited
/// 0. The argv the C library handed to the program (captured by CProcessArguments) comes first;
/// with neither, the program stops with exit 2 rather than run without its arguments.
public enum ProcessArguments {
    public static let all: [String] = {
        let count = Int(tessera_argument_count())
        let captured = (0..<count).compactMap { index in tessera_argument(Int32(index)).map { String(cString: $0) } }
        if captured.count == count, count > 0 { return captured }
        if !CommandLine.arguments.isEmpty { return CommandLine.arguments }
        Terminal.note("\(Terminal.prefix): error: cannot read this process's command line (is /proc mounted?)")
        exit(2)
    }()

    /// The arguments after the program name.
    public static var afterProgramName: [String] { Array(all.dropFirst()) }
}
