import Foundation

/// A fresh empty folder, removed when the value goes away.
public final class TemporaryFolder: @unchecked Sendable {
    public let url: URL
    public var path: String { url.path }

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-test-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func file(_ relative: String) -> URL { url.appendingPathComponent(relative) }
    public func read(_ relative: String) throws -> String { try String(contentsOf: file(relative), encoding: .utf8) }
    public func write(_ relative: String, _ text: String) throws {
        try FileManager.default.createDirectory(at: file(relative).deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: file(relative), atomically: true, encoding: .utf8)
    }
    public func mode(_ relative: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: file(relative).path)[.posixPermissions] as! NSNumber).intValue
    }
}
