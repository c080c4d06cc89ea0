import Foundation
import Testing

/// A command-line tool the integration tests need. Missing: skipped with the package to install, but a failure under CI=true.
struct ExternalTool: Sendable {
    let name: String
    let package: String

    static let nginx = ExternalTool(name: "nginx", package: "nginx")

    /// Whether this run is under CI, where a missing tool is a failure rather than a skip.
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The tool's path on PATH (plus /usr/sbin, where Debian puts nginx).
    var path: String? {
        let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        for dir in searchPath.split(separator: ":") where !dir.isEmpty {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test needing the tool should run: when the tool is there, or under CI so that its absence fails.
    var isAvailableOrRequired: Bool { path != nil || Self.isCI }

    /// The tool's path, or nil after recording why (an issue under CI, a note otherwise).
    func require(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path { return path }
        let message = "\(name) is not installed: apt-get install -y \(package)"
        if Self.isCI {
            Issue.record(Comment(rawValue: message + " (required under CI=true)"), sourceLocation: sourceLocation)
        } else {
            print("skipping: \(message)")
        }
        return nil
    }
}
