import Foundation
import Testing
@testable import TesseraSite
import TesseraTestSupport

extension ExternalTool {
    /// ImageMagick: scales PNGs and says what a PNG file is.
    static let convert = ExternalTool(name: "convert", package: "imagemagick")
}

/// Reads a PNG with Python's zlib alone: checks every chunk's CRC, inflates IDAT, undoes the filters,
/// and prints width, height, bit depth, colour type and the pixels as one '0'/'1' (1-bit) row per line.
private let pythonDecoder = #"""
import sys, zlib, struct
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'signature'
pos, idat, header = 8, b'', None
while pos < len(data):
    (length,) = struct.unpack('>I', data[pos:pos+4]); kind = data[pos+4:pos+8]; body = data[pos+8:pos+8+length]
    (crc,) = struct.unpack('>I', data[pos+8+length:pos+12+length])
    assert zlib.crc32(kind + body) & 0xffffffff == crc, 'CRC of ' + kind.decode()
    if kind == b'IHDR': header = struct.unpack('>IIBBBBB', body)
    if kind == b'IDAT': idat += body
    pos += 12 + length
    if kind == b'IEND': break
assert pos == len(data), 'bytes after IEND'
w, h, depth, colour, _, _, interlace = header
raw = zlib.decompress(idat)
stride = (w * depth + 7) // 8
assert len(raw) == h * (stride + 1), 'scanline bytes'
rows, prev = [], bytearray(stride)
for y in range(h):
    f, line = raw[y*(stride+1)], bytearray(raw[y*(stride+1)+1:(y+1)*(stride+1)])
    assert f in (0, 2), 'filter %d' % f
    if f == 2: line = bytearray((a + b) & 255 for a, b in zip(line, prev))
    rows.append(''.join('1' if line[x // 8] & (0x80 >> (x % 8)) else '0' for x in range(w)))
    prev = line
print(w, h, depth, colour, interlace)
print('\n'.join(rows))
"""#

@Suite("Slide: PNG encoder, bitmap font, layout", .offThePool)
struct SlideTests {
    // MARK: - PNG encoder

    @Test("CRC-32 and Adler-32 give the published check values")
    func checksums() {
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNG.crc32([UInt8]()) == 0)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(PNG.adler32([]) == 1)
        // Past the 5552-byte stretch after which the sums must be reduced.
        let big = [UInt8](repeating: 0xff, count: 100_000)
        var a: UInt64 = 1, b: UInt64 = 0
        for byte in big { a = (a + UInt64(byte)) % 65521; b = (b + a) % 65521 }
        #expect(PNG.adler32(big) == UInt32(b << 16 | a))
    }

    @Test(
        "Python's zlib decodes the PNG to exactly the pixels drawn, every CRC right",
        .enabled(if: ExternalTool.python3.isAvailableOrRequired, "python3 is not on PATH: install the Debian package python3"),
        arguments: [(1, 1), (7, 3), (8, 8), (9, 5), (300, 200), (1920, 40)])
    func pythonDecodesThePixels(width: Int, height: Int) throws {
        guard let python = ExternalTool.python3.require() else { return }
        var bitmap = Bitmap(width: width, height: height)
        var generator = SplitMix64(seed: UInt64(width * 1000 + height))
        for _ in 0..<(width * height / 50 + 3) {
            bitmap.fill(x: Int(generator.next() % UInt64(width)), y: Int(generator.next() % UInt64(height)),
                        width: Int(generator.next() % 40) + 1, height: Int(generator.next() % 6) + 1)
        }
        if height > 2 { bitmap.fill(x: 0, y: 1, width: width, height: 1) }  // a full black row: a run across the whole row
        let decoded = try decode(bitmap.png(), python: python)
        #expect(decoded.header == "\(width) \(height) 1 0 0")
        var expected: [String] = []
        for y in 0..<height { expected.append(String((0..<width).map { bitmap[$0, y] ? "0" : "1" })) }
        #expect(decoded.rows == expected)
    }

    @Test(
        "The row-wise encoder and the plain deflate of the filtered scanlines both inflate, in Python, to those scanlines",
        .enabled(if: ExternalTool.python3.isAvailableOrRequired, "python3 is not on PATH: install the Debian package python3"))
    func rowWiseEncoderInflates() throws {
        guard let python = ExternalTool.python3.require() else { return }
        var generator = SplitMix64(seed: 17)
        var images: [Bitmap] = [sampleSlide().bitmap()]
        for (width, height) in [(1, 1), (16, 4), (1920, 30), (2070, 9), (33, 300)] {
            var bitmap = Bitmap(width: width, height: height)
            for _ in 0..<(width * height / 100 + 2) {
                bitmap.fill(x: Int(generator.next() % UInt64(width)), y: Int(generator.next() % UInt64(height)),
                            width: Int(generator.next() % 700) + 1, height: Int(generator.next() % 9) + 1)
            }
            images.append(bitmap)
        }
        try withTemporaryDirectory { directory in
            var arguments = ["-c", "import sys, zlib\nfor i in range(1, len(sys.argv), 3):\n r, a, b = (open(p, 'rb').read() for p in sys.argv[i:i+3])\n assert zlib.decompress(a) == r == zlib.decompress(b), sys.argv[i]\nprint('ok')"]
            for (index, image) in images.enumerated() {
                let filtered = PNG.filtered(rows: image.rows, rowBytes: image.rowBytes, height: image.height)
                for (suffix, bytes) in [("raw", filtered), ("rows", PNG.compressedScanlines(rows: image.rows, rowBytes: image.rowBytes, height: image.height)),
                                        ("plain", PNG.zlibStream(filtered))] {
                    let path = directory.appendingPathComponent("\(index).\(suffix)").path
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    arguments.append(path)
                }
            }
            let run = try ExternalTool.run(python, arguments)
            #expect(run.status == 0 && run.output == Data("ok\n".utf8), "a stream does not inflate to its scanlines")
        }
    }

    @Test(
        "ImageMagick reads the slide as a 1920×1080 1-bit greyscale PNG",
        .enabled(if: ExternalTool.convert.isAvailableOrRequired, "convert is not on PATH: install the Debian package imagemagick"))
    func imageMagickIdentifies() throws {
        guard let convert = ExternalTool.convert.require() else { return }
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("slide.png").path
            try Data(sampleSlide().png()).write(to: URL(fileURLWithPath: path))
            let info = try ExternalTool.run(convert, [path, "-format", "%m %w %h %[png:IHDR.bit-depth-orig] %[png:IHDR.color-type-orig]", "info:"])
            #expect(info.status == 0)
            #expect(String(decoding: info.output, as: UTF8.self) == "PNG 1920 1080 1 0", "1-bit, colour type 0 (greyscale)")
        }
    }

    @Test("The encoder packs flat areas and repeated rows: a slide is a few kilobytes")
    func slideIsSmall() {
        let png = sampleSlide().png()
        #expect(png.count < 48_000, "\(png.count) bytes")
        #expect(png.count > 1_000)
    }

    // MARK: - Bitmap font

    @Test("Every printable ASCII character has its own 5×8 glyph")
    func fontCoversASCII() {
        var seen: [[UInt8]: UInt8] = [:]
        for ascii in UInt8(0x20)...0x7e {
            let glyph = BitmapFont.glyph(ascii)
            #expect(glyph?.count == 8, "glyph of \(ascii)")
            #expect(glyph?.allSatisfy { $0 < 32 } == true)
            if let glyph, let other = seen[glyph] { Issue.record("\(Character(Unicode.Scalar(ascii))) draws like \(Character(Unicode.Scalar(other)))") }
            if let glyph { seen[glyph] = ascii }
            #expect(ascii == 0x20 || glyph?.contains { $0 != 0 } == true, "only the space is blank")
        }
        #expect(BitmapFont.glyph(0x7f) == nil && BitmapFont.glyph(0x1f) == nil)
        #expect(BitmapFont.glyph(0x41) == [0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001, 0])
        #expect(!seen.keys.contains(BitmapFont.replacement), "the replacement box is not also a character")
    }

    @Test("Text outside ASCII: Latin letters lose their marks, controls and bidi overrides vanish, the rest is a box")
    func fontTransliterates() {
        #expect(BitmapFont.drawable("Café Ångström") == Array("Cafe Angstrom".utf8))
        #expect(BitmapFont.drawable("Łódź naïve") == Array("Lodz naive".utf8))
        #expect(BitmapFont.drawable("e\u{301}") == Array("e".utf8), "a combining accent is dropped")
        #expect(BitmapFont.drawable("a\u{202E}b\u{2066}c\u{7}\nd") == Array("abcd".utf8))
        #expect(BitmapFont.drawable("日本 ß 😀") == [0, 0, 0x20, 0, 0x20, 0])
        #expect(BitmapFont.drawable("\u{A0}") == [0x20])
        #expect(BitmapFont.drawable("Speaker’s “kit” — 2") == Array("Speaker's \"kit\" - 2".utf8))
    }

    @Test("Drawn text is the glyphs scaled, side by side with one blank column")
    func fontDraws() {
        var bitmap = Bitmap(width: 40, height: 20)
        BitmapFont.draw(Array("Hi".utf8) + [0], into: &bitmap, x: 1, y: 2, scale: 2)
        for (index, glyph) in [BitmapFont.glyph(0x48)!, BitmapFont.glyph(0x69)!, BitmapFont.replacement].enumerated() {
            for row in 0..<8 {
                for column in 0..<5 {
                    let on = glyph[row] & (0x10 >> UInt8(column)) != 0
                    for dy in 0..<2 {
                        for dx in 0..<2 {
                            #expect(bitmap[1 + (index * 6 + column) * 2 + dx, 2 + row * 2 + dy] == on)
                        }
                    }
                }
            }
            for row in 0..<16 { #expect(!bitmap[1 + (index * 6 + 5) * 2, 2 + row], "the blank column") }
        }
        #expect(BitmapFont.width(of: 3, scale: 2) == 34)
    }

    // MARK: - Layout

    @Test("The QR code fills the height with its quiet zone; no text reaches it")
    func layoutKeepsTheQuietZone() throws {
        for label in [nil, "PyData talk, room 2", String(repeating: "A very long label that goes on ", count: 8), "日本語のトーク 🎤"] {
            let slide = try #require(Slide(.init(project: "talk-2026", label: label, pageURL: "https://invites.example.org/i/7ByeU9X8bzNS8IFfnAygNA/",
                                                 shortURL: "https://invites.example.org/s/k7mq3xz9p/", expires: "2026-12-05 10:02 UTC")))
            let side = (slide.qr.size + 8) * slide.moduleSize
            #expect(side <= 1080 && side + slide.moduleSize > 1080 - 1080 % (slide.qr.size + 8), "as large as the height allows")
            #expect(slide.qrX + side <= 1920 && slide.qrY >= 0)
            for line in slide.lines {
                #expect(line.x + line.pixelWidth + line.scale / 4 < slide.qrX, "\(line.text) runs into the quiet zone")
                #expect(line.y >= 0 && line.y + Slide.lineHeight(line.scale) <= 1080, "\(line.text) leaves the slide")
            }
            #expect(slide.lines.count <= 9)
            let code = try #require(slide.lines.first { $0.text == "k7mq3xz9p" })
            #expect(slide.lines.allSatisfy { $0.scale <= code.scale }, "the code to type is the largest text")
            #expect(code.scale >= 10)
            // The quiet zone is white in the PNG.
            let bitmap = slide.bitmap()
            for y in stride(from: slide.qrY, to: slide.qrY + side, by: 7) {
                for x in slide.qrX..<(slide.qrX + 4 * slide.moduleSize) { if bitmap[x, y] { Issue.record("dark pixel at \(x),\(y) in the quiet zone"); return } }
            }
        }
    }

    @Test("The SVG escapes the label and drops bidi overrides")
    func svgEscapes() throws {
        let slide = try #require(Slide(.init(project: "talk", label: "<script>alert(1)</script> & \u{202E}evil", pageURL: "https://invites.example.org/i/x/",
                                             shortURL: nil, expires: nil)))
        let svg = slide.svg()
        #expect(!svg.contains("<script"))
        #expect(svg.contains(">&lt;script&gt;alert(1)&lt;/script&gt; &amp;</text>"))
        #expect(svg.contains(">evil</text>"), "the override is gone and the rest wrapped onto the next line")
        #expect(!svg.contains("\u{202E}"))
        #expect(svg.contains("Does not expire"))
        #expect(svg.contains("invites.example.org/i/x/"))
    }

    // MARK: - As a person checks it: the slide scans

    @Test(
        "zbarimg reads the page address from the slide PNG and SVG, full size and at 25 %",
        .enabled(if: ExternalTool.zbarimg.isAvailableOrRequired && ExternalTool.convert.isAvailableOrRequired && ExternalTool.chromium.isAvailableOrRequired,
                 "needs zbarimg (zbar-tools), convert (imagemagick) and chromium"))
    func slideScans() throws {
        guard let zbarimg = ExternalTool.zbarimg.require(), let convert = ExternalTool.convert.require(),
              let chromium = ExternalTool.chromium.require() else { return }
        let page = "https://invites.example.org/i/7ByeU9X8bzNS8IFfnAygNA/"
        let slide = sampleSlide(pageURL: page)
        try withTemporaryDirectory { directory in
            func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
            try Data(slide.png()).write(to: URL(fileURLWithPath: path("slide.png")))
            try slide.svg().write(toFile: path("slide.svg"), atomically: false, encoding: .utf8)
            // The SVG as a page shows it 480 × 270 (25 %), drawn by the browser rather than scaled from pixels.
            try #"<!doctype html><html><body style="margin:0"><img src="slide.svg" width="480" height="270"></body></html>"#
                .write(toFile: path("small.html"), atomically: false, encoding: .utf8)
            #expect(try ExternalTool.run(convert, [path("slide.png"), "-resize", "25%", path("png-small.png")]).status == 0)
            let browser = ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                           "--disable-component-update", "--disable-sync", "--proxy-server=http://127.0.0.1:9", "--hide-scrollbars",
                           "--user-data-dir=\(path("profile"))"]
            #expect(try ExternalTool.run(chromium, browser + ["--window-size=1920,1080", "--screenshot=\(path("svg.png"))",
                                                              URL(fileURLWithPath: path("slide.svg")).absoluteString]).status == 0)
            #expect(try ExternalTool.run(chromium, browser + ["--window-size=480,270", "--screenshot=\(path("svg-small.png"))",
                                                              URL(fileURLWithPath: path("small.html")).absoluteString]).status == 0)
            for (name, size) in [("slide.png", "1920 1080"), ("png-small.png", "480 270"), ("svg.png", "1920 1080"), ("svg-small.png", "480 270")] {
                let info = try ExternalTool.run(convert, [path(name), "-format", "%w %h", "info:"])
                #expect(String(decoding: info.output, as: UTF8.self) == size, "\(name)")
                let scan = try ExternalTool.run(zbarimg, ["--raw", "-q", "-Sdisable", "-Sqrcode.enable", path(name)])
                #expect(String(decoding: scan.output, as: UTF8.self) == page + "\n", "\(name) does not scan")
            }
        }
    }

    // MARK: - Helpers

    private func sampleSlide(pageURL: String = "https://invites.example.org/i/7ByeU9X8bzNS8IFfnAygNA/") -> Slide {
        Slide(.init(project: "talk-2026", label: "PyData talk, room 2", pageURL: pageURL,
                    shortURL: "https://invites.example.org/s/k7mq3xz9p/", expires: "2026-12-05 10:02 UTC"))!
    }

    private func decode(_ png: [UInt8], python: String) throws -> (header: String, rows: [String]) {
        var result: (String, [String]) = ("", [])
        try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("image.png").path
            let script = directory.appendingPathComponent("decode.py").path
            try Data(png).write(to: URL(fileURLWithPath: file))
            try pythonDecoder.write(toFile: script, atomically: false, encoding: .utf8)
            let run = try ExternalTool.run(python, [script, file])
            #expect(run.status == 0, "the Python decoder refused the file")
            let lines = String(decoding: run.output, as: UTF8.self).split(separator: "\n").map(String.init)
            result = (lines.first ?? "", Array(lines.dropFirst()))
        }
        return result
    }

    private func withTemporaryDirectory(_ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-slide-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try body(directory)
    }
}
