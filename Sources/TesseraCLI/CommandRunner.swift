import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a root command with Tessera's error form and exit codes: 2 for any usage error, the command's own code otherwise.
public enum CommandRunner {
    public static func main<Command: ParsableCommand>(_ type: Command.Type, arguments: [String]? = nil) async -> Never {
        await run({
            var command = try type.parseAsRoot(arguments ?? ProcessArguments.afterProgramName)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        }, describing: { error in
            if type.exitCode(for: error) == .success {
                type.exit(withError: error)  // --help and --version
            }
            var message = type.message(for: error)
            if let first = message.first { message = first.lowercased() + message.dropFirst() }
            let line = message.split(separator: "\n").first.map(String.init) ?? message
            return CommandLineError(line, hint: "run with --help to see the options")
        })
    }

    /// Runs a command body (also one read without ArgumentParser) with the error form and exit codes of `main`:
    /// a `CommandLineError` is reported with its code, an `ExitCode` exits with it, anything else is
    /// reported as `describing` words it, with exit 2.
    public static func run(_ body: () async throws -> Void,
                           describing: (any Error) -> CommandLineError = { CommandLineError("\($0)") }) async -> Never {
        do {
            try await body()
            exit(0)
        } catch let error as CommandLineError {
            Terminal.report(error)
            exit(error.exitCode)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            Terminal.report(describing(error))
            exit(2)
        }
    }
}
