extension QRCode {
    /// A grid holding every function pattern of `version`, with the format information reserved but not yet drawn.
    static func functionGrid(version: Int) -> ModuleGrid {
        let size = 17 + 4 * version
        var grid = ModuleGrid(size: size)
        // Timing first: the finder patterns and separators then overwrite its ends.
        for index in 0..<size {
            grid.setFunction(x: 6, y: index, dark: index % 2 == 0)
            grid.setFunction(x: index, y: 6, dark: index % 2 == 0)
        }
        drawFinderPattern(centreX: 3, centreY: 3, in: &grid)
        drawFinderPattern(centreX: size - 4, centreY: 3, in: &grid)
        drawFinderPattern(centreX: 3, centreY: size - 4, in: &grid)

        let centres = alignmentCentres[version]
        let last = centres.count - 1
        for (row, centreY) in centres.enumerated() {
            for (column, centreX) in centres.enumerated() {
                // Three corners of the centre lattice coincide with finder patterns.
                let atFinder = (row == 0 && column == 0) || (row == 0 && column == last)
                    || (row == last && column == 0)
                if atFinder { continue }
                for dy in -2...2 {
                    for dx in -2...2 {
                        grid.setFunction(
                            x: centreX + dx, y: centreY + dy, dark: max(abs(dx), abs(dy)) != 1)
                    }
                }
            }
        }

        // Drawing all-zero bits reserves the format areas so codeword placement skips them.
        drawFormatInformation(0, in: &grid)
        if version >= 7 { drawVersionInformation(version: version, in: &grid) }
        return grid
    }

    /// Draws a finder pattern and the light separator around it, clipped to the symbol.
    private static func drawFinderPattern(centreX: Int, centreY: Int, in grid: inout ModuleGrid) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centreX + dx
                let y = centreY + dy
                guard (0..<grid.size).contains(x), (0..<grid.size).contains(y) else { continue }
                let ring = max(abs(dx), abs(dy))
                grid.setFunction(x: x, y: y, dark: ring != 2 && ring != 4)
            }
        }
    }

    /// The 15 format bits for a level and mask: BCH(15,5) with generator 0x537, XORed with 0x5412.
    static func formatInformation(errorCorrection: ErrorCorrection, mask: Int) -> Int {
        let data = errorCorrection.formatBits << 3 | mask
        var remainder = data
        for _ in 0..<10 {
            remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537)
        }
        // The XOR keeps the all-zero level/mask combination from yielding an all-light area.
        return (data << 10 | remainder) ^ 0x5412
    }

    /// The 18 version bits for versions 7 and up: BCH(18,6) with generator 0x1F25.
    static func versionInformation(version: Int) -> Int {
        var remainder = version
        for _ in 0..<12 {
            remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25)
        }
        return version << 12 | remainder
    }

    /// Draws both copies of the format bits (bit 0 is the least significant) and the always-dark module.
    static func drawFormatInformation(_ bits: Int, in grid: inout ModuleGrid) {
        let size = grid.size
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        // Copy next to the top-left finder, stepping around the timing patterns.
        for index in 0...5 { grid.setFunction(x: 8, y: index, dark: bit(index)) }
        grid.setFunction(x: 8, y: 7, dark: bit(6))
        grid.setFunction(x: 8, y: 8, dark: bit(7))
        grid.setFunction(x: 7, y: 8, dark: bit(8))
        for index in 9..<15 { grid.setFunction(x: 14 - index, y: 8, dark: bit(index)) }
        // Copy split between the top-right and bottom-left finders.
        for index in 0..<8 { grid.setFunction(x: size - 1 - index, y: 8, dark: bit(index)) }
        for index in 8..<15 { grid.setFunction(x: 8, y: size - 15 + index, dark: bit(index)) }
        grid.setFunction(x: 8, y: size - 8, dark: true)
    }

    /// Draws both 6×3 copies of the version bits beside the top-right and bottom-left finders.
    private static func drawVersionInformation(version: Int, in grid: inout ModuleGrid) {
        let bits = versionInformation(version: version)
        for index in 0..<18 {
            let dark = (bits >> index) & 1 == 1
            let across = grid.size - 11 + index % 3
            let along = index / 3
            grid.setFunction(x: across, y: along, dark: dark)
            grid.setFunction(x: along, y: across, dark: dark)
        }
    }

    /// Places codeword bits most significant first in the two-column zig-zag from the bottom-right corner.
    ///
    /// Modules left over after the last bit are the remainder bits: they stay light before masking.
    static func placeCodewords(_ codewords: [UInt8], in grid: inout ModuleGrid) {
        let size = grid.size
        let bitCount = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        while right >= 1 {
            // The vertical timing pattern occupies column 6, so the pair left of it shifts by one.
            if right == 6 { right = 5 }
            let upward = (right + 1) & 2 == 0
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in (right - 1...right).reversed() {
                    let index = y * size + x
                    guard !grid.isFunction[index], bitIndex < bitCount else { continue }
                    grid.modules[index] = (codewords[bitIndex >> 3] >> (7 - (bitIndex & 7))) & 1
                    bitIndex += 1
                }
            }
            right -= 2
        }
    }
}
