#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing to the standard streams without Foundation, which keeps the verifier's start-up short.
public enum Terminal {
    /// The prefix of every diagnostic line.
    public static let prefix = "tessera"

    /// Writes text to standard output as is.
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { writeAll(1, $0) }
    }

    /// Writes one line to standard output, its control characters escaped (see `escapingControls(_:)`).
    public static func line(_ text: String) { write(escapingControls(text) + "\n") }

    /// Writes one line to standard error, its control characters escaped.
    public static func note(_ text: String) {
        var text = escapingControls(text) + "\n"
        text.withUTF8 { writeAll(2, $0) }
    }

    /// A line made safe for a terminal whatever it quotes (a file name, a claim): every control
    /// character and direction control becomes `\uXXXX`. That form is also JSON's own escape, so a
    /// `--json` line stays valid JSON with the same meaning.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        let digits = Array("0123456789abcdef".unicodeScalars)
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += "\\u"
                for shift in [12, 8, 4, 0] { out.unicodeScalars.append(digits[Int(scalar.value >> UInt32(shift)) & 0xf]) }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Text from outside (claims, subjects, file names) made safe to print: control characters and
    /// the bidirectional overrides that reorder a line are shown as `\u001b`, `\u202e`, the one
    /// escaped form of every line printed (see `escapingControls(_:)`).
    public static func displayable(_ text: String) -> String { escapingControls(text) }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7f...0x9f: return true
        case 0x200e, 0x200f, 0x061c, 0x202a...0x202e, 0x2066...0x2069: return true  // marks, embeddings, overrides, isolates
        case 0x2028, 0x2029: return true  // line and paragraph separators: a line break a terminal may honour
        case 0xfeff: return true  // a byte order mark: invisible, it makes a quoted value look right when it is not
        default: return false
        }
    }

    /// Reports an error in the one form used everywhere.
    ///
    /// Messages quote what was read (a line of `revoked.txt`, a value of `tessera.toml`), so they are
    /// made displayable: a control character there must not rewrite the terminal or split the line.
    public static func report(_ error: CommandLineError) {
        note("\(prefix): error: \(displayable(error.message))")
        for hint in error.hints { note("\(prefix): hint: \(displayable(hint))") }
    }

    /// Whether standard error is a terminal (progress is shown only then).
    public static var standardErrorIsTerminal: Bool { isatty(2) == 1 }

    /// Whether standard input is a terminal.
    public static var standardInputIsTerminal: Bool { isatty(0) == 1 }

    /// Reads standard input up to `limit` bytes; returns nil if there was more.
    public static func readStandardInput(limit: Int) -> [UInt8]? {
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return result }
            if n == 0 { return result }
            result.append(contentsOf: buffer[0..<n])
            if result.count > limit { return nil }
        }
    }

    private static func writeAll(_ fd: Int32, _ buffer: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }
}

/// A one-line progress counter on a terminal; silent when standard error is not one.
public struct Progress {
    private let total: Int
    private let label: String
    private let enabled: Bool
    private var lastShown: Int64 = 0

    public init(label: String, total: Int, minimum: Int = 200) {
        self.label = label
        self.total = total
        enabled = total >= minimum && Terminal.standardErrorIsTerminal
    }

    /// Shows `done` of `total`, at most ten times a second.
    public mutating func update(_ done: Int) {
        guard enabled else { return }
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        let now = Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
        guard now - lastShown >= 100 || done == total else { return }
        lastShown = now
        var text = "\r\(label) \(done)/\(total)"
        if done == total { text += "\n" }
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
