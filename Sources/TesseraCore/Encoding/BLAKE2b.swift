/// BLAKE2b (RFC 7693) with a digest length of 1 to 64 bytes and an optional key of up to 64 bytes.
public struct BLAKE2b: Sendable {
    private static let iv: [UInt64] = [
        0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1,
        0x510E_527F_ADE6_82D1, 0x9B05_688C_2B3E_6C1F, 0x1F83_D9AB_FB41_BD6B, 0x5BE0_CD19_137E_2179,
    ]

    // Rounds 10 and 11 reuse the permutations of rounds 0 and 1, spelled out so the
    // compression loop indexes without a modulo.
    private static let sigma: [UInt8] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    ]

    private static let blockSize = 128

    private let outputLength: Int
    private var state: [UInt64]
    private var block: [UInt8]
    private var blockFill: Int
    // The 128-bit count of bytes compressed so far, split into low and high words.
    private var countLow: UInt64 = 0
    private var countHigh: UInt64 = 0

    /// Starts a hash producing `outputLength` bytes (1...64), keyed when `key` (at most 64 bytes) is non-empty.
    public init(outputLength: Int, key: [UInt8] = []) {
        precondition((1...64).contains(outputLength), "BLAKE2b output length must be 1...64 bytes")
        precondition(key.count <= 64, "BLAKE2b key must be at most 64 bytes")
        self.outputLength = outputLength
        // The digest length lives in the parameter block, so a 33-byte digest is
        // unrelated to any prefix of the 64-byte one.
        var state = Self.iv
        state[0] ^= 0x0101_0000 ^ UInt64(key.count) << 8 ^ UInt64(outputLength)
        self.state = state
        block = [UInt8](repeating: 0, count: Self.blockSize)
        blockFill = 0
        if !key.isEmpty {
            // The zero-padded key is the first block; leaving it buffered means an
            // empty message still compresses it as the final block, as RFC 7693 requires.
            block.replaceSubrange(0..<key.count, with: key)
            blockFill = Self.blockSize
        }
    }

    /// Feeds more message bytes into the hash.
    public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if bytes.withContiguousStorageIfAvailable({ update(buffer: $0) }) == nil {
            Array(bytes).withUnsafeBufferPointer { update(buffer: $0) }
        }
    }

    /// Completes the hash and returns the `outputLength`-byte digest.
    public consuming func finalize() -> [UInt8] {
        add(toCount: blockFill)
        for index in blockFill..<Self.blockSize {
            block[index] = 0
        }
        let (low, high) = (countLow, countHigh)
        block.withUnsafeBytes { message in
            state.withUnsafeMutableBufferPointer { h in
                Self.compress(h.baseAddress!, message.baseAddress!, low, high, isLast: true)
            }
        }
        var digest = [UInt8]()
        digest.reserveCapacity(outputLength)
        for index in 0..<outputLength {
            digest.append(UInt8(truncatingIfNeeded: state[index >> 3] >> (UInt64(index & 7) * 8)))
        }
        return digest
    }

    /// Hashes `bytes` in one call, unkeyed, producing `outputLength` bytes (1...64).
    public static func hash<C: Collection>(_ bytes: C, outputLength: Int) -> [UInt8] where C.Element == UInt8 {
        var hasher = BLAKE2b(outputLength: outputLength)
        hasher.update(bytes)
        return hasher.finalize()
    }

    private mutating func add(toCount bytes: Int) {
        let (sum, overflow) = countLow.addingReportingOverflow(UInt64(bytes))
        countLow = sum
        if overflow { countHigh &+= 1 }
    }

    private mutating func update(buffer input: UnsafeBufferPointer<UInt8>) {
        let count = input.count
        var offset = 0
        while offset < count {
            // A full block is compressed only once more input proves it is not the last one.
            if blockFill == Self.blockSize {
                add(toCount: Self.blockSize)
                let (low, high) = (countLow, countHigh)
                block.withUnsafeBytes { message in
                    state.withUnsafeMutableBufferPointer { h in
                        Self.compress(h.baseAddress!, message.baseAddress!, low, high, isLast: false)
                    }
                }
                blockFill = 0
            }
            if blockFill == 0 && count - offset > Self.blockSize {
                // Whole blocks that are certainly not last skip the copy into the buffer.
                var (low, high) = (countLow, countHigh)
                state.withUnsafeMutableBufferPointer { h in
                    while count - offset > Self.blockSize {
                        low &+= UInt64(Self.blockSize)
                        if low < UInt64(Self.blockSize) { high &+= 1 }
                        Self.compress(
                            h.baseAddress!, UnsafeRawPointer(input.baseAddress! + offset),
                            low, high, isLast: false)
                        offset += Self.blockSize
                    }
                }
                (countLow, countHigh) = (low, high)
            }
            let take = min(Self.blockSize - blockFill, count - offset)
            block.withUnsafeMutableBufferPointer { destination in
                (destination.baseAddress! + blockFill).update(from: input.baseAddress! + offset, count: take)
            }
            blockFill += take
            offset += take
        }
    }

    @inline(__always)
    private static func rotr(_ x: UInt64, _ n: UInt64) -> UInt64 {
        x >> n | x << (64 - n)
    }

    @inline(__always)
    private static func mix(
        _ a: inout UInt64, _ b: inout UInt64, _ c: inout UInt64, _ d: inout UInt64, _ x: UInt64, _ y: UInt64
    ) {
        a = a &+ b &+ x
        d = rotr(d ^ a, 32)
        c = c &+ d
        b = rotr(b ^ c, 24)
        a = a &+ b &+ y
        d = rotr(d ^ a, 16)
        c = c &+ d
        b = rotr(b ^ c, 63)
    }

    private static func compress(
        _ h: UnsafeMutablePointer<UInt64>, _ message: UnsafeRawPointer,
        _ countLow: UInt64, _ countHigh: UInt64, isLast: Bool
    ) {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 16) { m in
            for i in 0..<16 {
                m[i] = UInt64(littleEndian: message.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            }
            var v0 = h[0], v1 = h[1], v2 = h[2], v3 = h[3]
            var v4 = h[4], v5 = h[5], v6 = h[6], v7 = h[7]
            var v8 = iv[0], v9 = iv[1], v10 = iv[2], v11 = iv[3]
            var v12 = iv[4] ^ countLow, v13 = iv[5] ^ countHigh
            var v14 = isLast ? ~iv[6] : iv[6], v15 = iv[7]
            sigma.withUnsafeBufferPointer { sigma in
                for round in 0..<12 {
                    let s = sigma.baseAddress! + round * 16
                    mix(&v0, &v4, &v8, &v12, m[Int(s[0])], m[Int(s[1])])
                    mix(&v1, &v5, &v9, &v13, m[Int(s[2])], m[Int(s[3])])
                    mix(&v2, &v6, &v10, &v14, m[Int(s[4])], m[Int(s[5])])
                    mix(&v3, &v7, &v11, &v15, m[Int(s[6])], m[Int(s[7])])
                    mix(&v0, &v5, &v10, &v15, m[Int(s[8])], m[Int(s[9])])
                    mix(&v1, &v6, &v11, &v12, m[Int(s[10])], m[Int(s[11])])
                    mix(&v2, &v7, &v8, &v13, m[Int(s[12])], m[Int(s[13])])
                    mix(&v3, &v4, &v9, &v14, m[Int(s[14])], m[Int(s[15])])
                }
            }
            h[0] ^= v0 ^ v8
            h[1] ^= v1 ^ v9
            h[2] ^= v2 ^ v10
            h[3] ^= v3 ^ v11
            h[4] ^= v4 ^ v12
            h[5] ^= v5 ^ v13
            h[6] ^= v6 ^ v14
            h[7] ^= v7 ^ v15
        }
    }
}
