/// Why the gateway could not start: a configuration problem the command reports with exit code 2.
public struct GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One lowercase line naming the file, line or setting concerned.
    public let message: String
    /// The fix, when one is known.
    public let hint: String?

    /// An error with its message and an optional fix.
    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    /// The message.
    public var description: String { message }
}
