/// A systematic Reed–Solomon encoder over GF(256) with the QR field polynomial x⁸+x⁴+x³+x²+1 (0x11D).
struct ReedSolomon: Sendable {
    /// Powers of α = 2; doubled in length so a sum of two logarithms needs no reduction mod 255.
    static let exponents: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        var value = 1
        for power in 0..<255 {
            table[power] = UInt8(value)
            table[power + 255] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        return table
    }()

    /// Discrete logarithms to base α; entry 0 is unused because 0 has no logarithm.
    static let logarithms: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for power in 0..<255 { table[Int(exponents[power])] = power }
        return table
    }()

    /// Logarithms of the generator's coefficients below the leading 1, highest degree first.
    ///
    /// Kept as logarithms because every coefficient of ∏(x − αⁱ) is non-zero for the
    /// degrees QR uses, which saves a table look-up per multiplication while encoding.
    private let generatorLogarithms: [Int]

    /// Number of error-correction codewords produced per block.
    var degree: Int { generatorLogarithms.count }

    /// An encoder for `degree` error-correction codewords, generator ∏(x − αⁱ) for i in 0..<degree.
    init(degree: Int) {
        precondition(degree > 0 && degree < 255)
        var coefficients: [UInt8] = [1]
        for root in 0..<degree {
            var next = [UInt8](repeating: 0, count: coefficients.count + 1)
            for (index, coefficient) in coefficients.enumerated() {
                next[index] ^= coefficient
                next[index + 1] ^= Self.multiply(coefficient, Self.exponents[root])
            }
            coefficients = next
        }
        generatorLogarithms = coefficients.dropFirst().map { coefficient in
            precondition(coefficient != 0)
            return Self.logarithms[Int(coefficient)]
        }
    }

    /// The product of two field elements.
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        if a == 0 || b == 0 { return 0 }
        return exponents[logarithms[Int(a)] + logarithms[Int(b)]]
    }

    /// The error-correction codewords for `data`: the remainder of data·x^degree divided by the generator.
    func errorCorrection(for data: ArraySlice<UInt8>) -> [UInt8] {
        let count = degree
        var remainder = [UInt8](repeating: 0, count: count)
        // A ring buffer avoids shifting the whole remainder once per data codeword.
        var head = 0
        Self.exponents.withUnsafeBufferPointer { exponents in
            Self.logarithms.withUnsafeBufferPointer { logarithms in
                generatorLogarithms.withUnsafeBufferPointer { generator in
                    remainder.withUnsafeMutableBufferPointer { remainder in
                        for byte in data {
                            let factor = byte ^ remainder[head]
                            remainder[head] = 0
                            head = head + 1 == count ? 0 : head + 1
                            guard factor != 0 else { continue }
                            let factorLog = logarithms[Int(factor)]
                            var slot = head
                            for term in 0..<count {
                                remainder[slot] ^= exponents[factorLog + generator[term]]
                                slot = slot + 1 == count ? 0 : slot + 1
                            }
                        }
                    }
                }
            }
        }
        return Array(remainder[head...] + remainder[..<head])
    }
}
