/// An error a command reports as `tessera: error: …` with `tessera: hint: …` lines, and the exit code it ends with.
public struct CommandLineError: Error, Sendable {
    /// One lowercase line naming the file, line or flag concerned.
    public let message: String
    /// Fixes, one per line, when known.
    public let hints: [String]
    /// The process exit code (2 for usage and configuration errors).
    public let exitCode: Int32

    public init(_ message: String, hints: [String] = [], exitCode: Int32 = 2) {
        self.message = message
        self.hints = hints
        self.exitCode = exitCode
    }

    public init(_ message: String, hint: String?, exitCode: Int32 = 2) {
        self.init(message, hints: hint.map { [$0] } ?? [], exitCode: exitCode)
    }
}
