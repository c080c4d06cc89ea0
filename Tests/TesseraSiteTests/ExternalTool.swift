import Foundation
import Testing

/// A command-line program that a test drives, looked up on PATH.
struct ExternalTool: Sendable {
    /// Executable name.
    let name: String
    /// Debian package that installs it.
    let debianPackage: String

    /// Decodes barcodes in image files.
    static let zbarimg = ExternalTool(name: "zbarimg", debianPackage: "zbar-tools")
    /// Reference QR encoder (libqrencode).
    static let qrencode = ExternalTool(name: "qrencode", debianPackage: "qrencode")

    /// Whether this run is under CI, where a missing tool is a failure rather than a skip.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The executable's full path, if PATH has it.
    var path: String? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test needing the tool should run: when the tool is there, or under CI so that its absence fails.
    var isAvailableOrRequired: Bool { path != nil || Self.isCI }

    /// What to tell someone whose machine lacks the tool.
    var missingMessage: String {
        "\(name) is not on PATH: install the Debian package \(debianPackage) (apt-get install -y \(debianPackage))"
    }

    /// The tool's path; records a test failure naming the package when it is missing.
    ///
    /// Outside CI the `.enabled(if:)` trait already skipped the test, so reaching the failure means CI lacks the tool.
    func require(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path { return path }
        Issue.record(Comment(rawValue: missingMessage), sourceLocation: sourceLocation)
        return nil
    }

    /// Runs an executable and returns its exit status and standard output; standard error is discarded.
    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read before waiting: output larger than the pipe buffer would otherwise block the child forever.
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data)
    }
}
