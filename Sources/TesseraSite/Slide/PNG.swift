#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A PNG encoder for black-and-white images (1-bit greyscale), written here so that Tessera
/// needs no image library: signature, IHDR, one IDAT holding a zlib stream, IEND.
///
/// The zlib stream is one deflate block with the fixed Huffman codes (RFC 1951 §3.2.6). A row
/// equal to the one above is sent with PNG's Up filter (all zero bytes); runs of a repeated
/// byte become matches at distance 1. Slides are large flat areas and rows repeated by the
/// scale of their modules and glyphs, so this small encoder gets them to a few kilobytes,
/// close to what a full deflate would, without any search.
public enum PNG {
    /// The encoded file of a 1-bit greyscale image; `rows` holds `height` rows of `(width + 7) / 8` bytes,
    /// the leftmost pixel in the most significant bit, 1 for white and 0 for black.
    public static func encodeBilevel(width: Int, height: Int, rows: [UInt8]) -> [UInt8] {
        precondition(width > 0 && height > 0, "an image has at least one pixel")
        let rowBytes = (width + 7) / 8
        precondition(rows.count == rowBytes * height, "rows must hold height × ⌈width/8⌉ bytes")
        var out: [UInt8] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &out)
        appendChunk("IDAT", compressedScanlines(rows: rows, rowBytes: rowBytes, height: height), to: &out)
        appendChunk("IEND", [], to: &out)
        return out
    }

    /// The scanlines with their filter bytes: Up (2) for a row equal to the previous one, else None (0).
    static func filtered(rows: [UInt8], rowBytes: Int, height: Int) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity((rowBytes + 1) * height)
        for y in 0..<height {
            let row = rows[(y * rowBytes)..<((y + 1) * rowBytes)]
            if y > 0, row.elementsEqual(rows[((y - 1) * rowBytes)..<(y * rowBytes)]) {
                data.append(2)
                data += repeatElement(0, count: rowBytes)
            } else {
                data.append(0)
                data += row
            }
        }
        return data
    }

    /// `zlibStream(filtered(rows:rowBytes:height:))`, without building the filtered scanlines: a repeated row
    /// (most rows of a slide) costs three codes and a closed-form Adler-32 step instead of a pass over its bytes.
    static func compressedScanlines(rows: [UInt8], rowBytes: Int, height: Int) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        out.reserveCapacity(rows.count / 16 + 64)
        var bits = BitWriter()
        bits.write(0b011, count: 3)
        var a: UInt64 = 1, b: UInt64 = 0
        literalCodes.withUnsafeBufferPointer { literals in
            lengthCodes.withUnsafeBufferPointer { lengths in
                rows.withUnsafeBufferPointer { rows in
                    var previous: UInt8 = 0
                    for y in 0..<height {
                        let row = UnsafeBufferPointer(rebasing: rows[(y * rowBytes)..<((y + 1) * rowBytes)])
                        if y > 0, memcmp(row.baseAddress!, row.baseAddress! - rowBytes, rowBytes) == 0 {
                            // Filter byte 2, then rowBytes zeros: a literal 0 and matches at distance 1.
                            bits.write(literals[2].bits, count: literals[2].count)
                            bits.write(literals[0].bits, count: literals[0].count)
                            var left = rowBytes - 1
                            while left > 0 {
                                let run = min(left, 258)
                                let code = run >= 3 ? lengths[run] : literals[0]
                                let step = run >= 3 ? run : 1
                                bits.write(code.bits, count: code.count)
                                left -= step
                                bits.drain(into: &out)
                            }
                            bits.drain(into: &out)
                            previous = 0
                            a += 2
                            b += a + a * UInt64(rowBytes)
                        } else {
                            bits.write(literals[0].bits, count: literals[0].count)
                            bits.drain(into: &out)
                            previous = 0
                            b += a
                            var i = 0
                            while i < rowBytes {
                                var run = 0
                                while run < 258, i + run < rowBytes, row[i + run] == previous { run += 1 }
                                if run >= 3 {
                                    let code = lengths[run]
                                    bits.write(code.bits, count: code.count)
                                    // The run's bytes all equal `previous`.
                                    let value = UInt64(previous), count = UInt64(run)
                                    b += count * a + value * count * (count + 1) / 2
                                    a += value * count
                                    i += run
                                } else {
                                    let byte = row[i]
                                    bits.write(literals[Int(byte)].bits, count: literals[Int(byte)].count)
                                    a += UInt64(byte)
                                    b += a
                                    previous = byte
                                    i += 1
                                }
                                bits.drain(into: &out)
                            }
                        }
                        a %= 65521
                        b %= 65521
                    }
                }
            }
        }
        bits.write(literalCodes[256].bits, count: literalCodes[256].count)
        bits.finish(into: &out)
        out.appendBigEndian(UInt32(b << 16 | a))
        return out
    }

    /// A zlib stream (RFC 1950) of `data`: header, one fixed-Huffman deflate block, Adler-32.
    public static func zlibStream(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]  // deflate, 32 KiB window, no dictionary; 0x7801 is a multiple of 31
        out.reserveCapacity(data.count / 8 + 64)
        var bits = BitWriter()
        bits.write(0b011, count: 3)  // BFINAL = 1, BTYPE = 01 (fixed Huffman codes)
        literalCodes.withUnsafeBufferPointer { literals in
            lengthCodes.withUnsafeBufferPointer { lengths in
                data.withUnsafeBufferPointer { data in
                    var i = 0
                    while i < data.count {
                        var run = 0
                        if i > 0 {
                            let previous = data[i - 1]
                            while run < 258, i + run < data.count, data[i + run] == previous { run += 1 }
                        }
                        if run >= 3 {
                            bits.write(lengths[run].bits, count: lengths[run].count)
                            i += run
                        } else {
                            bits.write(literals[Int(data[i])].bits, count: literals[Int(data[i])].count)
                            i += 1
                        }
                        bits.drain(into: &out)
                    }
                }
            }
        }
        let end = literalCodes[256]
        bits.write(end.bits, count: end.count)
        bits.finish(into: &out)
        out.appendBigEndian(adler32(data))
        return out
    }

    /// One code as it goes into the stream: its bits in stream order (least significant first) and how many.
    struct Code: Sendable {
        var bits: UInt64
        var count: Int
    }

    /// The fixed literal/length code of each symbol 0...287, bit-reversed for the stream.
    static let literalCodes: [Code] = (0...287).map { symbol in
        let (code, length): (Int, Int) = switch symbol {
        case 0...143: (0x30 + symbol, 8)
        case 144...255: (0x190 + symbol - 144, 9)
        case 256...279: (symbol - 256, 7)
        default: (0xc0 + symbol - 280, 8)
        }
        return Code(bits: reversed(UInt64(code), length), count: length)
    }

    /// For each match length 3...258: its length code, extra bits, and distance code 0 (distance 1).
    static let lengthCodes: [Code] = {
        let bases = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
        let extras = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        var codes = [Code](repeating: Code(bits: 0, count: 0), count: 259)
        for length in 3...258 {
            let index = bases.lastIndex { $0 <= length }!
            let symbol = literalCodes[257 + index]
            var code = symbol
            code.bits |= UInt64(length - bases[index]) << code.count
            code.count += extras[index]
            code.count += 5  // distance code 0 is five zero bits: distance 1
            codes[length] = code
        }
        return codes
    }()

    static func reversed(_ value: UInt64, _ count: Int) -> UInt64 {
        var result: UInt64 = 0
        for i in 0..<count where value & (1 << i) != 0 { result |= 1 << (count - 1 - i) }
        return result
    }

    /// Deflate's bit order: values packed from the least significant bit of each byte.
    struct BitWriter {
        var buffer: UInt64 = 0
        var count = 0

        mutating func write(_ bits: UInt64, count: Int) {
            buffer |= bits << self.count
            self.count += count
        }

        /// Moves whole bytes out; at most 7 bits stay behind, so one more code of ≤ 23 bits always fits.
        mutating func drain(into out: inout [UInt8]) {
            while count >= 8 {
                out.append(UInt8(truncatingIfNeeded: buffer))
                buffer >>= 8
                count -= 8
            }
        }

        mutating func finish(into out: inout [UInt8]) {
            drain(into: &out)
            if count > 0 { out.append(UInt8(truncatingIfNeeded: buffer)) }
            buffer = 0
            count = 0
        }
    }

    /// Adler-32 (RFC 1950 §8) of `data`.
    public static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        data.withUnsafeBufferPointer { data in
            var index = 0
            while index < data.count {
                // 5552 bytes is the most that can be summed before b could overflow 32 bits.
                let end = min(index + 5552, data.count)
                while index < end {
                    a &+= UInt32(data[index])
                    b &+= a
                    index += 1
                }
                a %= 65521
                b %= 65521
            }
        }
        return b << 16 | a
    }

    /// CRC-32 (ISO 3309, as PNG uses it) of `bytes`.
    public static func crc32<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xffff_ffff
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(data.count))
        let start = out.count
        out += Array(type.utf8)
        out += data
        out.appendBigEndian(crc32(out[start...]))
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        append(contentsOf: [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)])
    }
}
