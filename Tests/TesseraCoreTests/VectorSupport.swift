import Foundation
import Testing

/// Loads the JSON vector files shipped with the tests, refusing fields a runner does not know.
enum Vectors {
    static let root: URL = Bundle.module.url(forResource: "Vectors", withExtension: nil)!

    static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(relativePath)))
    }

    /// The `tests` array of an official PASETO/PASERK vector file.
    static func official(_ file: String, knownFields: Set<String>) throws -> [[String: Any]] {
        let document = try #require(try json("paseto/" + file) as? [String: Any])
        let tests = try #require(document["tests"] as? [[String: Any]])
        for test in tests {
            let unknown = Set(test.keys).subtracting(knownFields)
            #expect(unknown.isEmpty, "\(file) \(test["name"] ?? "?"): unknown fields \(unknown.sorted())")
        }
        return tests
    }

    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// One hostile-input vector (`Vectors/hostile/<defect>.json`).
    struct Hostile: Sendable, CustomTestStringConvertible {
        static let fields: Set<String> = ["name", "defect", "token", "at", "expect", "exit", "project", "subject", "audience", "revoked"]
        let name: String
        let defect: String
        let token: String
        let at: String
        let expect: String
        let exit: Int32
        let project: String?
        let subject: String?
        let audience: String?
        let revoked: [String]?

        var testDescription: String { name }

        static func all() throws -> [Hostile] {
            let folder = root.appendingPathComponent("hostile")
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { $0.hasSuffix(".json") && $0 != "keys.json" }.sorted()
            return try files.map { file in
                let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(file))) as? [String: Any])
                let unknown = Set(object.keys).subtracting(fields)
                guard unknown.isEmpty else { throw VectorError.unknownFields(file, unknown.sorted()) }
                guard let name = object["name"] as? String, name + ".json" == file else { throw VectorError.badName(file) }
                return Hostile(
                    name: name, defect: object["defect"] as! String, token: object["token"] as! String,
                    at: object["at"] as! String, expect: object["expect"] as! String, exit: Int32(object["exit"] as! Int),
                    project: object["project"] as? String, subject: object["subject"] as? String,
                    audience: object["audience"] as? String, revoked: object["revoked"] as? [String])
            }
        }

        /// The k4.public keys the hostile vectors are checked against (`keys.json`, "trusted").
        static func trustedKeys() throws -> [String] {
            let object = try #require(try json("hostile/keys.json") as? [String: Any])
            let trusted = try #require(object["trusted"] as? [[String: String]])
            return trusted.compactMap { $0["public"] }
        }
    }

    enum VectorError: Error { case unknownFields(String, [String]), badName(String) }
}
