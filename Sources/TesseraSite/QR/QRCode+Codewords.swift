extension QRCode {
    /// The smallest version from `minimumVersion` on whose byte capacity at `errorCorrection` holds `byteCount` bytes.
    static func smallestVersion(
        holding byteCount: Int, errorCorrection: ErrorCorrection, from minimumVersion: Int
    ) -> Int? {
        (minimumVersion...40).first { version in
            byteCapacity(version: version, errorCorrection: errorCorrection) >= byteCount
        }
    }

    /// The data codewords: one byte-mode segment, terminator, bit padding, then alternating 0xEC 0x11.
    static func paddedDataCodewords(
        for data: [UInt8], version: Int, errorCorrection: ErrorCorrection
    ) -> [UInt8] {
        let capacity = dataCodewords(version: version, errorCorrection: errorCorrection)
        var codewords = [UInt8]()
        codewords.reserveCapacity(capacity)
        var pending = 0
        var pendingBits = 0
        func append(_ value: Int, bits: Int) {
            pending = pending << bits | value & (1 << bits - 1)
            pendingBits += bits
            while pendingBits >= 8 {
                pendingBits -= 8
                codewords.append(UInt8(truncatingIfNeeded: pending >> pendingBits))
            }
            pending &= 1 << pendingBits - 1
        }
        append(0b0100, bits: 4)
        append(data.count, bits: characterCountBits(version: version))
        for byte in data { append(Int(byte), bits: 8) }
        // The terminator may be cut short by a full symbol, but the header is 12 or 20 bits,
        // so at least 4 bits are always left and the 4-bit terminator ends on a byte boundary.
        let remainingBits = capacity * 8 - (codewords.count * 8 + pendingBits)
        append(0, bits: min(4, remainingBits))
        if pendingBits > 0 { append(0, bits: 8 - pendingBits) }
        var pad: UInt8 = 0xEC
        while codewords.count < capacity {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return codewords
    }

    /// The full codeword sequence: data split into blocks, each block's error correction appended, all interleaved.
    static func codewords(for data: [UInt8], version: Int, errorCorrection: ErrorCorrection) -> [UInt8] {
        let dataWords = paddedDataCodewords(for: data, version: version, errorCorrection: errorCorrection)
        let level = errorCorrection.tableIndex
        let blockCount = blockCounts[level][version]
        let eccPerBlock = errorCorrectionCodewordsPerBlock[level][version]
        let total = totalCodewords[version]
        // When the codewords do not divide evenly, the later blocks carry one extra data codeword.
        let shortBlockCount = blockCount - total % blockCount
        let shortDataLength = total / blockCount - eccPerBlock

        let encoder = ReedSolomon(degree: eccPerBlock)
        var blockRanges: [Range<Int>] = []
        var eccBlocks: [[UInt8]] = []
        blockRanges.reserveCapacity(blockCount)
        eccBlocks.reserveCapacity(blockCount)
        var start = 0
        for block in 0..<blockCount {
            let length = shortDataLength + (block < shortBlockCount ? 0 : 1)
            let range = start..<(start + length)
            blockRanges.append(range)
            eccBlocks.append(encoder.errorCorrection(for: dataWords[range]))
            start += length
        }

        var result = [UInt8]()
        result.reserveCapacity(total)
        for column in 0...shortDataLength {
            for range in blockRanges where column < range.count {
                result.append(dataWords[range.lowerBound + column])
            }
        }
        for column in 0..<eccPerBlock {
            for ecc in eccBlocks { result.append(ecc[column]) }
        }
        return result
    }
}
