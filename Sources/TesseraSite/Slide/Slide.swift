/// A 1920×1080 slide for showing an invitation to a room: the QR code as large as the slide's
/// height allows (quiet zone included) on the right, and on the left the project, the label,
/// the link to type (the short link when there is one, its code in the largest type that
/// fits) and the expiry.
///
/// One layout, drawn twice: ``svg()`` with real text (any script, XML-escaped) and ``png()``
/// with Tessera's own ``BitmapFont``, so the PNG needs no font and no image library and any
/// presentation program takes it. Both put every piece of text in the same box, so neither
/// runs into the QR code's quiet zone.
public struct Slide: Sendable {
    public static let width = 1920
    public static let height = 1080
    /// The QR code's quiet zone, in modules (ISO/IEC 18004 asks for 4).
    public static let quietZone = 4

    /// What the slide says.
    public struct Content: Sendable, Equatable {
        public var project: String
        public var label: String?
        /// The address the QR code holds: the link page.
        public var pageURL: String
        /// The short link, when the invitation has one.
        public var shortURL: String?
        /// The expiry as people read it (`2026-12-05 10:02 UTC`), or nil for none.
        public var expires: String?

        public init(project: String, label: String?, pageURL: String, shortURL: String?, expires: String?) {
            self.project = project
            self.label = label
            self.pageURL = pageURL
            self.shortURL = shortURL
            self.expires = expires
        }
    }

    /// One line of text: its characters with what the bitmap font draws for each (nil: nothing), where, and how large.
    struct Line: Sendable {
        var characters: [(character: Character, code: UInt8?)]
        var x: Int
        var y: Int
        /// Pixels per font pixel; the glyph cell is 5×8 of them.
        var scale: Int
        var bold: Bool

        var drawn: [UInt8] { characters.compactMap(\.code) }
        var pixelWidth: Int { BitmapFont.width(of: drawn.count, scale: scale) }
        var text: String { String(characters.map(\.character)) }
    }

    public let content: Content
    public let qr: QRCode
    /// Pixels per module.
    public let moduleSize: Int
    /// Top-left corner of the QR code's quiet zone.
    public let qrX: Int
    public let qrY: Int
    let lines: [Line]

    /// Lays out a slide; nil when `pageURL` does not fit in a QR code.
    public init?(_ content: Content) {
        guard let qr = try? QRCode(text: content.pageURL, errorCorrection: .medium) else { return nil }
        self.content = content
        self.qr = qr
        let modules = qr.size + 2 * Self.quietZone
        moduleSize = Self.height / modules
        let side = modules * moduleSize
        qrY = (Self.height - side) / 2
        qrX = Self.width - side - qrY
        lines = Self.layout(content, left: 96, right: qrX - 24)
    }

    /// The text lines, stacked and centred vertically between `left` and `right`.
    static func layout(_ content: Content, left: Int, right: Int) -> [Line] {
        let width = right - left
        var blocks: [[Line]] = []
        blocks.append(wrap("Join " + content.project, width: width, scales: 5...9, maxLines: 2, bold: true))
        if let label = content.label, !label.isEmpty {
            blocks.append(wrap(label, width: width, scales: 4...6, maxLines: 3, bold: false))
        }
        if let short = content.shortURL {
            var shown = displayed(short)
            if shown.hasSuffix("/") { shown.removeLast() }
            let code = String(shown.split(separator: "/").last ?? "")
            let prefix = String(shown.dropLast(code.count))
            blocks.append(wrap(prefix, width: width, scales: 3...6, maxLines: 2, bold: false)
                + wrap(code, width: width, scales: 6...16, maxLines: 1, bold: true))
        } else {
            blocks.append(wrap(displayed(content.pageURL), width: width, scales: 3...5, maxLines: 3, bold: false))
        }
        blocks.append(wrap(content.expires.map { "Expires " + $0 } ?? "Does not expire", width: width, scales: 3...4, maxLines: 1, bold: false))

        let gap = 56
        let heights = blocks.map { $0.reduce(0) { $0 + lineHeight($1.scale) } }
        let total = heights.reduce(0, +) + gap * (blocks.count - 1)
        var y = max(48, (height - total) / 2)
        var placed: [Line] = []
        for block in blocks {
            for var line in block {
                line.x = left
                line.y = y
                y += lineHeight(line.scale)
                placed.append(line)
            }
            y += gap
        }
        return placed
    }

    static func lineHeight(_ scale: Int) -> Int { (BitmapFont.glyphHeight + 2) * scale }

    /// An address as people type it: without `https://`.
    static func displayed(_ url: String) -> String {
        url.hasPrefix("https://") ? String(url.dropFirst(8)) : url
    }

    /// Splits `text` into at most `maxLines` lines of the largest scale in `scales` at which it fits in
    /// `width` (at the smallest scale it is broken, preferably after a space or a slash, and the last
    /// line ends in "..." when it still does not fit).
    static func wrap(_ text: String, width: Int, scales: ClosedRange<Int>, maxLines: Int, bold: Bool) -> [Line] {
        let characters = printable(text).map { ($0, BitmapFont.drawable(String($0)).first) }
        let count = characters.filter { $0.1 != nil }.count
        for scale in scales.reversed() where BitmapFont.width(of: count, scale: scale) <= width {
            return [Line(characters: characters, x: 0, y: 0, scale: scale, bold: bold)]
        }
        let scale = scales.lowerBound
        let perLine = max(1, (width + scale) / (BitmapFont.advance * scale))
        var lines: [Line] = []
        var rest = characters[...]
        while !rest.isEmpty {
            var taken = 0, end = rest.startIndex, lastBreak: Int?
            while end < rest.endIndex, taken + (rest[end].1 == nil ? 0 : 1) <= perLine {
                if rest[end].1 != nil { taken += 1 }
                if rest[end].0 == " " || rest[end].0 == "/" { lastBreak = end + 1 }
                end += 1
            }
            if end < rest.endIndex, let lastBreak, lastBreak > rest.startIndex + perLine / 2 { end = lastBreak }
            if lines.count == maxLines - 1, end < rest.endIndex {
                var last = Array(rest.prefix(max(0, perLine - 3)))
                last += [(".", 0x2e), (".", 0x2e), (".", 0x2e)]
                lines.append(Line(characters: last, x: 0, y: 0, scale: scale, bold: bold))
                break
            }
            var line = Array(rest[rest.startIndex..<end])
            while line.last?.0 == " " { line.removeLast() }
            lines.append(Line(characters: line, x: 0, y: 0, scale: scale, bold: bold))
            rest = rest[end...].drop { $0.0 == " " }
        }
        return lines
    }

    /// The text without line breaks and bidi controls: a label cannot reorder or split what the slide shows.
    static func printable(_ text: String) -> [Character] {
        text.filter { character in
            !character.unicodeScalars.contains { scalar in
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator: true
                default: false
                }
            }
        }.map { $0 }
    }

    /// The slide as an SVG document: the QR code as one path, the text as `<text>` in a monospace font
    /// whose width is pinned (`textLength`) to the bitmap layout's.
    public func svg() -> String {
        var out: [UInt8] = []
        out.reserveCapacity(16_384)
        out += Array(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1920 1080" width="1920" height="1080" role="img"><title>"#.utf8)
        QRCode.appendEscapedXML("Invitation to \(content.project): \(content.shortURL ?? content.pageURL)", to: &out)
        out += Array(##"</title><rect width="1920" height="1080" fill="#fff"/>"##.utf8)
        out += Array(##"<g font-family="'DejaVu Sans Mono','Liberation Mono',Menlo,Consolas,monospace" fill="#000">"##.utf8)
        for line in lines where !line.characters.isEmpty {
            out += Array("<text x=\"\(line.x)\" y=\"\(line.y + 7 * line.scale)\" font-size=\"\(10 * line.scale)\"".utf8)
            if line.bold { out += Array(#" font-weight="bold""#.utf8) }
            out += Array(" textLength=\"\(max(1, line.pixelWidth))\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\">".utf8)
            QRCode.appendEscapedXML(line.text, to: &out)
            out += Array("</text>".utf8)
        }
        out += Array("</g>".utf8)
        let modules = qr.size + 2 * Self.quietZone
        out += Array("<g transform=\"translate(\(qrX) \(qrY)) scale(\(moduleSize))\" shape-rendering=\"crispEdges\">".utf8)
        out += Array("<rect width=\"\(modules)\" height=\"\(modules)\" fill=\"#fff\"/><path fill=\"#000\" d=\"".utf8)
        qr.appendPathData(to: &out, border: Self.quietZone)
        out += Array("\"/></g></svg>\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// The slide drawn with the bitmap font.
    public func bitmap() -> Bitmap {
        var bitmap = Bitmap(width: Self.width, height: Self.height)
        for line in lines {
            BitmapFont.draw(line.drawn, into: &bitmap, x: line.x, y: line.y, scale: line.scale)
            if line.bold, line.scale >= 4 {
                // A second pass a sixth of a font pixel to the right: heavier strokes, same advance.
                BitmapFont.draw(line.drawn, into: &bitmap, x: line.x + line.scale / 4, y: line.y, scale: line.scale)
            }
        }
        let size = qr.size
        for y in 0..<size {
            var x = 0
            while x < size {
                guard qr[x, y] else { x += 1; continue }
                let start = x
                while x < size, qr[x, y] { x += 1 }
                bitmap.fill(x: qrX + (start + Self.quietZone) * moduleSize, y: qrY + (y + Self.quietZone) * moduleSize,
                            width: (x - start) * moduleSize, height: moduleSize)
            }
        }
        return bitmap
    }

    /// The slide as a 1-bit PNG file.
    public func png() -> [UInt8] { bitmap().png() }
}
