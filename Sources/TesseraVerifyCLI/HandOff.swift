import TesseraCLI

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the lean `tessera-verify` cannot do itself (`serve`, `--revoked https://…`, a `postgres://` ledger)
/// it hands to `tessera-verify-full`, found next to itself: the whole command line is run there instead,
/// in the same process (exec), so its pid, standard streams and exit code are the command's own.
public enum HandOff {
    /// The executable that links the HTTP server and clients and the PostgreSQL client.
    public static let fullVerifier = "tessera-verify-full"

    /// Replaces this process with `tessera-verify-full arguments…`; reports exit 2 when it cannot be run.
    public static func run(_ arguments: [String]) -> Never {
        let path = siblingPath()
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        let why = String(cString: strerror(errno))
        Terminal.report(CommandLineError(
            "this command needs \(fullVerifier), which cannot be run from \(path): \(why)",
            hint: "install \(fullVerifier) in the same folder as tessera-verify (scripts/release.sh builds both)"))
        exit(2)
    }

    /// `tessera-verify-full` in the folder of the running executable.
    static func siblingPath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        #if os(Linux)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let executable = count > 0 ? String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ProcessArguments.all[0]
        #else
        var size = UInt32(buffer.count)
        let executable = _NSGetExecutablePath(&buffer, &size) == 0 ? String(cString: buffer) : ProcessArguments.all[0]
        #endif
        guard let slash = executable.lastIndex(of: "/") else { return fullVerifier }
        return String(executable[...slash]) + fullVerifier
    }
}
