import Foundation
import Testing

/// Runs the built `tessera` and `tessera-verify` binaries, as a user would.
enum Binary {
    /// The folder holding the built products: the test bundle sits beside them.
    static let products: URL = {
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("tessera").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }()

    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Writing to a child that has already exited must fail softly, not kill the test process.
    static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    @discardableResult
    static func run(_ name: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        _ = ignoreBrokenPipes
        let process = Process()
        process.executableURL = products.appendingPathComponent(name)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func tessera(_ arguments: String..., in directory: URL? = nil, stdin: String? = nil) throws -> Result {
        try run("tessera", arguments, in: directory, stdin: stdin)
    }

    static func verify(_ arguments: String..., in directory: URL? = nil, stdin: String? = nil) throws -> Result {
        try run("tessera-verify", arguments, in: directory, stdin: stdin)
    }
}

/// Runs blocking work (child processes, sleeps) on a thread of its own, not on one of the two threads
/// every async test shares here: blocked, they starve the rest (PostgreSQL tests then time out).
///
/// A failed `#expect` inside still fails the run, with its file and line, but Swift Testing cannot
/// tell which test it belongs to (the thread has no task context): look at the line it names.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try work() }) }
        thread.stackSize = 4 << 20
        thread.start()
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on at the moment of asking.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw HTTP.Failure("no free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A fresh empty folder, removed when the value goes away.
final class TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }
    func read(_ relative: String) throws -> String { try String(contentsOf: file(relative), encoding: .utf8) }
    func write(_ relative: String, _ text: String) throws {
        try FileManager.default.createDirectory(at: file(relative).deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file(relative), atomically: true, encoding: .utf8)
    }
    func mode(_ relative: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: file(relative).path)[.posixPermissions] as! NSNumber).intValue
    }
}

/// A command-line tool the integration tests need. Missing: skipped with the package to install, but a failure under CI=true.
struct ExternalTool {
    let name: String
    let package: String

    var path: String? {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The tool's path, or nil after recording why (an issue under CI, a note otherwise).
    func require(sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        if let path { return path }
        let message = "\(name) is not installed: apt-get install \(package)"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            Issue.record(Comment(rawValue: message + " (required under CI=true)"), sourceLocation: sourceLocation)
        } else {
            print("skipping: \(message)")
        }
        return nil
    }

    @discardableResult
    func run(_ arguments: [String], stdin: Data? = nil) throws -> Binary.Result {
        _ = Binary.ignoreBrokenPipes
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path!)
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try? input.fileHandleForWriting.write(contentsOf: stdin) }
        try? input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Binary.Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static let openssl = ExternalTool(name: "openssl", package: "openssl")
}

extension Binary.Result {
    /// The JSON object on the first line of standard output.
    var json: [String: Any]? {
        guard let first = lines.first else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any]
    }
}

/// A site with one minted invitation, for tests that need a token.
struct MintedSite {
    let folder: TemporaryFolder
    let id: String
    let token: String

    init(_ arguments: String...) throws {
        folder = try TemporaryFolder()
        let result = try Binary.run("tessera", ["mint", "--json"] + arguments, in: folder.url)
        #expect(result.status == 0, "mint failed: \(result.stderr)")
        let object = try #require(result.json)
        id = try #require(object["id"] as? String)
        token = try #require(object["token"] as? String)
    }
}
