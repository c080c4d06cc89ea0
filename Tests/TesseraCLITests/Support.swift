import Foundation
import Testing
import TesseraTestSupport

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

    typealias Result = ProcessResult

    @discardableResult
    static func run(_ name: String, _ arguments: [String], in directory: URL? = nil, stdin: String? = nil,
                    environment: [String: String] = [:]) throws -> Result {
        try ProcessResult.run(products.appendingPathComponent(name), arguments, in: directory, stdin: stdin.map { Data($0.utf8) },
                              environment: environment)
    }

    static func tessera(_ arguments: String..., in directory: URL? = nil, stdin: String? = nil) throws -> Result {
        try run("tessera", arguments, in: directory, stdin: stdin)
    }

    static func verify(_ arguments: String..., in directory: URL? = nil, stdin: String? = nil) throws -> Result {
        try run("tessera-verify", arguments, in: directory, stdin: stdin)
    }
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
