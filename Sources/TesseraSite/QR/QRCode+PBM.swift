extension QRCode {
    /// A plain PBM (P1) image, one module per pixel scaled by `scale`, quiet zone `border`: for decoding tests with zbarimg.
    public func pbm(scale: Int = 4, border: Int = 4) -> String {
        precondition(scale > 0, "scale must be positive")
        precondition(border >= 0, "border must not be negative")
        let pixels = (size + 2 * border) * scale
        // Netpbm asks plain-format lines to stay within 70 characters.
        let lineLimit = 70
        var out = [UInt8]()
        out.reserveCapacity(32 + pixels * pixels + pixels * pixels / lineLimit + pixels)
        out.append(contentsOf: "P1\n".utf8)
        out.appendDecimal(pixels)
        out.append(UInt8(ascii: " "))
        out.appendDecimal(pixels)
        out.append(UInt8(ascii: "\n"))
        for pixelY in 0..<pixels {
            let y = pixelY / scale - border
            for pixelX in 0..<pixels {
                if pixelX > 0, pixelX % lineLimit == 0 { out.append(UInt8(ascii: "\n")) }
                out.append(self[pixelX / scale - border, y] ? UInt8(ascii: "1") : UInt8(ascii: "0"))
            }
            out.append(UInt8(ascii: "\n"))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
