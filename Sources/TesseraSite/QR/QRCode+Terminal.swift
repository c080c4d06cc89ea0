extension QRCode {
    /// A text rendering for a terminal using Unicode half blocks (two rows per line), black on white whatever the terminal's theme, with a quiet zone of `border` modules.
    ///
    /// Every line sets black-on-white from the 256-colour palette (entries 16 and 231 are pure
    /// black and white in practically every theme, unlike the 16 basic colours) and resets at
    /// its end. Lines are separated by newlines with none after the last, so `print` it as is.
    public func terminalString(border: Int = 2) -> String {
        precondition(border >= 0, "border must not be negative")
        let side = size + 2 * border
        let lineCount = (side + 1) / 2
        let colours = "\u{1B}[38;5;16;48;5;231m".utf8
        let reset = "\u{1B}[0m".utf8
        var out = [UInt8]()
        // Block glyphs are three UTF-8 bytes each.
        out.reserveCapacity(lineCount * (side * 3 + colours.count + reset.count + 1))
        for line in 0..<lineCount {
            out.append(contentsOf: colours)
            let top = 2 * line - border
            for column in 0..<side {
                let x = column - border
                switch (self[x, top], self[x, top + 1]) {
                case (true, true): out.append(contentsOf: "█".utf8)
                case (true, false): out.append(contentsOf: "▀".utf8)
                case (false, true): out.append(contentsOf: "▄".utf8)
                case (false, false): out.append(UInt8(ascii: " "))
                }
            }
            out.append(contentsOf: reset)
            if line + 1 < lineCount { out.append(UInt8(ascii: "\n")) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
