import Foundation
import Testing
@testable import TesseraSite
import TesseraTestSupport

@Suite("QR code", .offThePool)
struct QRCodeTests {
    // MARK: - Against external tools

    @Test(
        "zbarimg decodes exactly the encoded bytes",
        .enabled(
            if: ExternalTool.zbarimg.isAvailableOrRequired,
            "zbarimg is not on PATH: install the Debian package zbar-tools"),
        arguments: QRCode.ErrorCorrection.allCases)
    func zbarimgRoundTrip(level: QRCode.ErrorCorrection) throws {
        guard let zbarimg = ExternalTool.zbarimg.require() else { return }
        let capacity = QRCode.byteCapacity(version: 40, errorCorrection: level)
        var lengths = Array(1...24)
            + [31, 47, 64, 77, 100, 128, 181, 256, 300, 413, 600, 777, 1000, 1273, 1500, 2000, 2600]
        lengths = lengths.filter { $0 < capacity } + [capacity]
        var generator = SplitMix64(seed: 0x5EED_0000 + UInt64(level.tableIndex))

        try withTemporaryDirectory { directory in
            var files: [(path: String, bytes: [UInt8], label: String)] = []
            func add(_ bytes: [UInt8], mask: Int? = nil) throws {
                let code = try QRCode(bytes: bytes, errorCorrection: level, mask: mask)
                let path = directory.appendingPathComponent("\(files.count).pbm").path
                try code.pbm(scale: code.version > 20 ? 2 : 3)
                    .write(toFile: path, atomically: false, encoding: .utf8)
                files.append((path, bytes, "\(bytes.count) bytes, v\(code.version)-\(level.rawValue) mask \(code.mask)"))
            }
            for (index, length) in lengths.enumerated() {
                try add(index % 4 == 3 ? sampleUTF8(length: length, using: &generator)
                    : sampleURL(length: length, using: &generator))
            }
            for mask in 0..<8 {
                try add(sampleURL(length: 30 + 9 * mask, using: &generator), mask: mask)
            }

            // -Sbinary: bytes as encoded, with no charset guessing and no added newline, so one run's
            // output is the concatenation of all payloads. Only QR is enabled because zbar otherwise
            // now and then also reads an Interleaved 2 of 5 barcode out of the module texture.
            let arguments = ["--raw", "-q", "-Sbinary", "-Sdisable", "-Sqrcode.enable"]
            let batch = try ExternalTool.run(zbarimg, arguments + files.map(\.path))
            if batch.output == Data(files.flatMap(\.bytes)) { return }
            for file in files {
                let single = try ExternalTool.run(zbarimg, arguments + [file.path])
                #expect(single.output == Data(file.bytes), "zbarimg misread \(file.label)")
            }
        }
    }

    @Test(
        "Modules equal qrencode's at the same version, level and mask, and the automatic mask agrees",
        .enabled(
            if: ExternalTool.qrencode.isAvailableOrRequired,
            "qrencode is not on PATH: install the Debian package qrencode"),
        arguments: QRCode.ErrorCorrection.allCases)
    func matchesQrencode(level: QRCode.ErrorCorrection) throws {
        guard let qrencode = ExternalTool.qrencode.require() else { return }
        var generator = SplitMix64(seed: 0xC0DE_0000 + UInt64(level.tableIndex))
        var cases: [(bytes: [UInt8], version: Int)] = []
        for version in 1...40 {
            let lowest = version == 1 ? 1 : QRCode.byteCapacity(version: version - 1, errorCorrection: level) + 1
            let highest = QRCode.byteCapacity(version: version, errorCorrection: level)
            let length = version % 5 == 0 ? highest : Int.random(in: lowest...highest, using: &generator)
            let bytes = version % 3 == 0 ? sampleUTF8(length: length, using: &generator)
                : sampleURL(length: length, using: &generator)
            cases.append((bytes, version))
        }
        // Short payloads in large versions, where most of the symbol is padding.
        for version in [2, 7, 14, 27, 40] {
            cases.append((sampleURL(length: 1 + version % 13, using: &generator), version))
        }

        try withTemporaryDirectory { directory in
            let input = directory.appendingPathComponent("input.bin")
            let output = directory.appendingPathComponent("output.txt")
            for (bytes, version) in cases {
                let label = "\(bytes.count) bytes at v\(version)-\(level.rawValue)"
                try Data(bytes).write(to: input)
                let run = try ExternalTool.run(qrencode, [
                    "-8", "-l", level.rawValue, "-v", "\(version)", "-t", "ASCII", "-m", "0",
                    "-r", input.path, "-o", output.path,
                ])
                try #require(run.status == 0, "qrencode failed for \(label)")
                let reference = try parseQrencodeASCII(String(decoding: Data(contentsOf: output), as: UTF8.self))
                try #require(reference.count == 17 + 4 * version, "qrencode chose another version for \(label)")
                let format = try #require(readFormat(reference), "unreadable format bits from qrencode for \(label)")
                #expect(format.level == level)

                let ours = try QRCode(bytes: bytes, errorCorrection: level, minimumVersion: version, mask: format.mask)
                #expect(ours.version == version)
                let differing = (0..<ours.size).reduce(0) { count, y in
                    count + (0..<ours.size).filter { x in ours[x, y] != reference[y][x] }.count
                }
                #expect(differing == 0, "\(differing) modules differ from qrencode for \(label) mask \(format.mask)")

                let automatic = try QRCode(bytes: bytes, errorCorrection: level, minimumVersion: version)
                #expect(automatic.mask == format.mask, "automatic mask differs from qrencode's for \(label)")
            }
        }
    }

    // MARK: - Unit checks

    @Test("Format information equals ISO/IEC 18004 Annex C for every level and mask")
    func formatInformationTable() {
        let expected: [QRCode.ErrorCorrection: [Int]] = [
            .low: [0x77C4, 0x72F3, 0x7DAA, 0x789D, 0x662F, 0x6318, 0x6C41, 0x6976],
            .medium: [0x5412, 0x5125, 0x5E7C, 0x5B4B, 0x45F9, 0x40CE, 0x4F97, 0x4AA0],
            .quartile: [0x355F, 0x3068, 0x3F31, 0x3A06, 0x24B4, 0x2183, 0x2EDA, 0x2BED],
            .high: [0x1689, 0x13BE, 0x1CE7, 0x19D0, 0x0762, 0x0255, 0x0D0C, 0x083B],
        ]
        for (level, values) in expected {
            for (mask, value) in values.enumerated() {
                #expect(QRCode.formatInformation(errorCorrection: level, mask: mask) == value)
            }
        }
    }

    @Test("Drawn format bits carry the symbol's level and mask in both copies")
    func formatBitsInSymbol() throws {
        for level in QRCode.ErrorCorrection.allCases {
            for mask in 0..<8 {
                let code = try QRCode(text: "https://example.org/i/format", errorCorrection: level, mask: mask)
                let matrix = (0..<code.size).map { y in (0..<code.size).map { x in code[x, y] } }
                let format = try #require(readFormat(matrix))
                #expect(format.level == level && format.mask == mask)
                #expect(code[8, code.size - 8], "the dark module must be dark")
            }
        }
    }

    @Test("Version information equals ISO/IEC 18004 Annex D")
    func versionInformationTable() {
        let expected = [7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3, 21: 0x15683, 40: 0x28C69]
        for (version, value) in expected {
            #expect(QRCode.versionInformation(version: version) == value)
        }
    }

    @Test("Reed–Solomon codewords equal the worked example of ISO/IEC 18004 Annex I")
    func reedSolomonExample() {
        let data: [UInt8] = [
            0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
        ]
        let expected: [UInt8] = [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55]
        #expect(ReedSolomon(degree: 10).errorCorrection(for: data[...]) == expected)
    }

    @Test("Byte capacities equal the standard's table, across the 8- to 16-bit count change")
    func capacityTable() {
        let expected: [Int: [Int]] = [
            1: [17, 14, 11, 7], 9: [230, 180, 130, 98], 10: [271, 213, 151, 119], 40: [2953, 2331, 1663, 1273],
        ]
        for (version, capacities) in expected {
            #expect(QRCode.ErrorCorrection.allCases.map {
                QRCode.byteCapacity(version: version, errorCorrection: $0)
            } == capacities)
        }
    }

    @Test("The largest input fits its version; one byte more moves up a version or is too long",
          arguments: QRCode.ErrorCorrection.allCases)
    func capacityBoundaries(level: QRCode.ErrorCorrection) throws {
        for version in [1, 9, 10, 40] {
            let capacity = QRCode.byteCapacity(version: version, errorCorrection: level)
            let largest = [UInt8](repeating: UInt8(ascii: "a"), count: capacity)
            #expect(try QRCode(bytes: largest, errorCorrection: level).version == version)
            let oneMore = largest + [UInt8(ascii: "a")]
            if version < 40 {
                #expect(try QRCode(bytes: oneMore, errorCorrection: level).version == version + 1)
            } else {
                #expect(throws: QRCode.EncodingError.tooLong(bytes: capacity + 1, errorCorrection: level)) {
                    try QRCode(bytes: oneMore, errorCorrection: level)
                }
            }
        }
    }

    @Test("Arguments are validated and the minimum version is honoured")
    func argumentsAndMinimumVersion() throws {
        #expect(throws: QRCode.EncodingError.versionOutOfRange(0)) { try QRCode(text: "x", minimumVersion: 0) }
        #expect(throws: QRCode.EncodingError.versionOutOfRange(41)) { try QRCode(text: "x", minimumVersion: 41) }
        #expect(throws: QRCode.EncodingError.maskOutOfRange(8)) { try QRCode(text: "x", mask: 8) }
        #expect(throws: QRCode.EncodingError.tooLong(bytes: 1274, errorCorrection: .high)) {
            try QRCode(bytes: [UInt8](repeating: 0, count: 1274), errorCorrection: .high, minimumVersion: 40)
        }
        let code = try QRCode(text: "x", errorCorrection: .low, minimumVersion: 12, mask: 5)
        #expect(code.version == 12 && code.size == 65 && code.mask == 5)
        #expect(try QRCode(text: "é") == QRCode(bytes: [0xC3, 0xA9]))
        #expect(try QRCode(text: "x", mask: 1) != QRCode(text: "x", mask: 2))
    }

    @Test("Finder corners are dark and coordinates outside the symbol read as light")
    func subscriptBounds() throws {
        let code = try QRCode(text: "https://example.org/i/bounds")
        let last = code.size - 1
        #expect(code[0, 0] && code[last, 0] && code[0, last])
        #expect(!code[-1, 0] && !code[0, -1] && !code[code.size, 0] && !code[0, code.size])
    }

    @Test("The SVG is one self-contained path with a view box and an escaped title")
    func svgDocument() throws {
        let code = try QRCode(text: "https://example.org/i/svg", errorCorrection: .quartile)
        let svg = code.svg(moduleSize: 5, border: 3, title: #"Invite <Ada> & "Bob""#)
        let side = code.size + 6
        #expect(svg.hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \#(side) \#(side)" width="\#(side * 5)""#))
        #expect(svg.contains(#"shape-rendering="crispEdges""#))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.components(separatedBy: "http").count == 2, "only the xmlns may name a URL")
        #expect(!svg.contains("href") && !svg.contains("url(") && !svg.contains("<image") && !svg.contains("<style"))
        #expect(svg.contains("<title>Invite &lt;Ada&gt; &amp; &quot;Bob&quot;</title>"))
        #expect(!code.svg().contains("<title>"))

        // Every dark module is covered exactly once by the path's unit-high runs.
        let path = try #require(svg.components(separatedBy: #" d=""#).last?.components(separatedBy: "\"").first)
        var covered = Set<Int>()
        for run in path.split(separator: "M") {
            let numbers = run.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            try #require(numbers.count == 5 && numbers[3] == 1 && numbers[4] == numbers[2])
            for x in numbers[0]..<(numbers[0] + numbers[2]) {
                #expect(covered.insert((numbers[1] - 3) * code.size + (x - 3)).inserted)
            }
        }
        let dark = Set((0..<code.size * code.size).filter { code[$0 % code.size, $0 / code.size] })
        #expect(covered == dark)
    }

    @Test("The terminal rendering has one line per two module rows and shows the symbol", arguments: [0, 1, 2, 4])
    func terminalRendering(border: Int) throws {
        let code = try QRCode(text: "https://example.org/i/terminal", errorCorrection: .low)
        let text = code.terminalString(border: border)
        let side = code.size + 2 * border
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == (side + 1) / 2)
        for (index, line) in lines.enumerated() {
            let visible = line.replacingOccurrences(of: "\u{1B}[38;5;16;48;5;231m", with: "")
                .replacingOccurrences(of: "\u{1B}[0m", with: "")
            #expect(line.hasPrefix("\u{1B}[") && line.hasSuffix("\u{1B}[0m"))
            #expect(visible.count == side)
            for (column, glyph) in visible.enumerated() {
                let top = glyph == "█" || glyph == "▀"
                let bottom = glyph == "█" || glyph == "▄"
                #expect(top == code[column - border, 2 * index - border])
                #expect(bottom == code[column - border, 2 * index + 1 - border])
            }
        }
    }

    @Test("The PBM has a P1 header and one digit per pixel")
    func pbmImage() throws {
        let code = try QRCode(text: "https://example.org/i/pbm")
        let image = code.pbm(scale: 2, border: 1)
        let pixels = (code.size + 2) * 2
        #expect(image.hasPrefix("P1\n\(pixels) \(pixels)\n"))
        let digits = image.dropFirst("P1\n\(pixels) \(pixels)\n".count).filter { $0 == "0" || $0 == "1" }
        #expect(digits.count == pixels * pixels)
        #expect(image.split(separator: "\n").allSatisfy { $0.count <= 70 })
    }

    // MARK: - Helpers

    /// Runs `body` with a fresh temporary directory that is removed afterwards.
    private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tessera-qr-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }

    /// An invitation-like URL of exactly `length` ASCII bytes (just the random part when shorter than the prefix).
    private func sampleURL(length: Int, using generator: inout SplitMix64) -> [UInt8] {
        let prefix = Array("https://example.org/i/".utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let head = length > prefix.count ? prefix : []
        return head + (head.count..<length).map { _ in alphabet.randomElement(using: &generator)! }
    }

    /// Text of exactly `length` UTF-8 bytes mixing two-, three- and four-byte characters.
    private func sampleUTF8(length: Int, using generator: inout SplitMix64) -> [UInt8] {
        let pieces = ["é", "ß", "—", "“", "”", "日本", "語", "€", "😀", "ñ", "Ω", "a", " "].map { Array($0.utf8) }
        var bytes: [UInt8] = []
        while bytes.count < length {
            let piece = pieces.randomElement(using: &generator)!
            bytes += bytes.count + piece.count <= length ? piece : [UInt8(ascii: "x")]
        }
        return bytes
    }

    /// The module matrix (rows of dark flags) from `qrencode -t ASCII -m 0`, which draws a dark module as "##".
    private func parseQrencodeASCII(_ text: String) throws -> [[Bool]] {
        try text.split(separator: "\n").map { line in
            let characters = Array(line)
            try #require(characters.count % 2 == 0)
            return stride(from: 0, to: characters.count, by: 2).map { characters[$0] == "#" }
        }
    }

    /// Level and mask from the first copy of the format bits of a module matrix, if its BCH code checks out.
    private func readFormat(_ matrix: [[Bool]]) -> (level: QRCode.ErrorCorrection, mask: Int)? {
        let positions: [(x: Int, y: Int)] = (0...5).map { (x: 8, y: $0) }
            + [(x: 8, y: 7), (x: 8, y: 8), (x: 7, y: 8)] + (9..<15).map { (x: 14 - $0, y: 8) }
        var bits = 0
        for (index, position) in positions.enumerated() where matrix[position.y][position.x] {
            bits |= 1 << index
        }
        let data = (bits ^ 0x5412) >> 10
        guard let level = QRCode.ErrorCorrection.allCases.first(where: { $0.formatBits == data >> 3 }),
            QRCode.formatInformation(errorCorrection: level, mask: data & 7) == bits
        else { return nil }
        return (level, data & 7)
    }
}

/// A small seeded generator so that test inputs are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
