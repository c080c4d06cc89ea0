import TesseraCore

/// Where a command reads a token: its argument, or standard input for `-` or no argument.
public enum TokenInput {
    /// The token bytes, with one trailing newline from standard input removed.
    public static func read(_ argument: String?) throws(CommandLineError) -> [UInt8] {
        if let argument, argument != "-" {
            return Array(argument.utf8)
        }
        if Terminal.standardInputIsTerminal {
            throw CommandLineError("no token given", hint: "pass the token as an argument, or pipe it in: tessera-verify check - < out/i/ID/token")
        }
        // Past the size cap the token is refused anyway; reading on would only cost memory.
        guard var bytes = Terminal.readStandardInput(limit: SignedToken.maximumLength + 2) else {
            return [UInt8](repeating: 0x41, count: SignedToken.maximumLength + 1)
        }
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        return bytes
    }
}
