extension QRCode {
    /// An SVG document drawing the symbol as one path, dark modules black on white, with a quiet zone of `border` modules; `title` (if any) becomes an escaped <title> for accessibility.
    ///
    /// The view box counts modules, so the drawing scales cleanly; `moduleSize` only sets the
    /// default width and height in pixels. The document is self-contained (no XML declaration,
    /// nothing loaded from elsewhere), so it can be saved as a file or inlined into HTML.
    public func svg(moduleSize: Int = 8, border: Int = 4, title: String? = nil) -> String {
        precondition(moduleSize > 0, "moduleSize must be positive")
        precondition(border >= 0, "border must not be negative")
        let size = size
        let side = size + 2 * border
        var out = [UInt8]()
        // Roughly half the modules are dark and a run averages two modules, ~14 bytes each.
        out.reserveCapacity(400 + (title?.utf8.count ?? 0) * 2 + size * size * 4)

        out.append(contentsOf: #"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#.utf8)
        out.appendDecimal(side)
        out.append(UInt8(ascii: " "))
        out.appendDecimal(side)
        out.append(contentsOf: #"" width=""#.utf8)
        out.appendDecimal(side * moduleSize)
        out.append(contentsOf: #"" height=""#.utf8)
        out.appendDecimal(side * moduleSize)
        out.append(contentsOf: #"" shape-rendering="crispEdges""#.utf8)
        if let title {
            out.append(contentsOf: #" role="img"><title>"#.utf8)
            Self.appendEscapedXML(title, to: &out)
            out.append(contentsOf: "</title>".utf8)
        } else {
            out.append(UInt8(ascii: ">"))
        }
        // An explicit white ground keeps the code readable on dark pages and slides.
        out.append(contentsOf: #"<rect width=""#.utf8)
        out.appendDecimal(side)
        out.append(contentsOf: #"" height=""#.utf8)
        out.appendDecimal(side)
        out.append(contentsOf: ##"" fill="#fff"/><path fill="#000" d=""##.utf8)

        appendPathData(to: &out, border: border)
        out.append(contentsOf: "\"/></svg>\n".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the `d` attribute's value of a path drawing the dark modules, one unit per module, offset by `border` modules.
    func appendPathData(to out: inout [UInt8], border: Int) {
        let size = size
        modules.withUnsafeBufferPointer { modules in
            for y in 0..<size {
                var x = 0
                while x < size {
                    guard modules[y * size + x] else {
                        x += 1
                        continue
                    }
                    let start = x
                    while x < size, modules[y * size + x] { x += 1 }
                    // One closed rectangle per horizontal run keeps the path short without tracing outlines.
                    out.append(UInt8(ascii: "M"))
                    out.appendDecimal(start + border)
                    out.append(UInt8(ascii: " "))
                    out.appendDecimal(y + border)
                    out.append(UInt8(ascii: "h"))
                    out.appendDecimal(x - start)
                    out.append(contentsOf: "v1h-".utf8)
                    out.appendDecimal(x - start)
                    out.append(UInt8(ascii: "z"))
                }
            }
        }
    }

    /// Appends text as XML character data, dropping the control characters XML 1.0 cannot carry at all.
    static func appendEscapedXML(_ text: String, to out: inout [UInt8]) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".utf8)
            case "<": out.append(contentsOf: "&lt;".utf8)
            case ">": out.append(contentsOf: "&gt;".utf8)
            case "\"": out.append(contentsOf: "&quot;".utf8)
            case "'": out.append(contentsOf: "&#39;".utf8)
            case "\t", "\n", "\r": out.append(contentsOf: scalar.utf8)
            case "\u{0}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": continue
            default: out.append(contentsOf: scalar.utf8)
            }
        }
    }
}
