/// A black-and-white canvas, one bit a pixel as PNG stores it: rows of `⌈width/8⌉` bytes, the
/// leftmost pixel in the most significant bit, 1 for white. It starts white.
public struct Bitmap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Bytes per row.
    public let rowBytes: Int
    /// The rows, top to bottom.
    public private(set) var rows: [UInt8]

    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "a bitmap has at least one pixel")
        self.width = width
        self.height = height
        rowBytes = (width + 7) / 8
        rows = [UInt8](repeating: 0xff, count: rowBytes * height)
    }

    /// Whether the pixel at x, y is black; outside the canvas reads as white.
    public subscript(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < width, y < height else { return false }
        return rows[y * rowBytes + x / 8] & (0x80 >> UInt8(x % 8)) == 0
    }

    /// Paints a rectangle black; the part outside the canvas is ignored.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int) {
        let left = max(0, x), right = min(width, x + w)
        let top = max(0, y), bottom = min(height, y + h)
        guard left < right, top < bottom else { return }
        let firstByte = left / 8, lastByte = (right - 1) / 8
        let firstMask = UInt8(0xff >> (left % 8))  // the bits of the first byte inside the rectangle
        let lastMask = UInt8(truncatingIfNeeded: 0xff << (7 - (right - 1) % 8))
        let rowBytes = rowBytes
        rows.withUnsafeMutableBufferPointer { rows in
            for row in top..<bottom {
                let base = row * rowBytes
                if firstByte == lastByte {
                    rows[base + firstByte] &= ~(firstMask & lastMask)
                } else {
                    rows[base + firstByte] &= ~firstMask
                    if firstByte + 1 < lastByte {
                        for index in (base + firstByte + 1)..<(base + lastByte) { rows[index] = 0 }
                    }
                    rows[base + lastByte] &= ~lastMask
                }
            }
        }
    }

    /// The image as a 1-bit greyscale PNG file.
    public func png() -> [UInt8] {
        PNG.encodeBilevel(width: width, height: height, rows: rows)
    }
}
