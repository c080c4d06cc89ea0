extension QRCode {
    /// Penalty weights N1–N4 of ISO/IEC 18004 §7.8.3.1.
    static let penaltyN1 = 3, penaltyN2 = 3, penaltyN3 = 40, penaltyN4 = 10

    /// Whether mask pattern `mask` inverts the module at column x, row y (ISO/IEC 18004 Table 10, i = y, j = x).
    @inline(__always)
    static func maskInverts(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (y / 2 + x / 3) % 2 == 0
        case 5: x * y % 2 + x * y % 3 == 0
        case 6: (x * y % 2 + x * y % 3) % 2 == 0
        default: ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    /// The finished symbol for a grid holding function patterns and codewords: data masked, format bits drawn.
    static func masked(_ grid: ModuleGrid, mask: Int, errorCorrection: ErrorCorrection) -> ModuleGrid {
        var result = grid
        let size = grid.size
        result.modules.withUnsafeMutableBufferPointer { modules in
            grid.isFunction.withUnsafeBufferPointer { isFunction in
                for y in 0..<size {
                    for x in 0..<size where !isFunction[y * size + x] && maskInverts(mask, x: x, y: y) {
                        modules[y * size + x] ^= 1
                    }
                }
            }
        }
        drawFormatInformation(
            formatInformation(errorCorrection: errorCorrection, mask: mask), in: &result)
        return result
    }

    /// The finished symbol under the mask with the lowest penalty, the lower-numbered mask winning a tie.
    static func bestMasked(_ grid: ModuleGrid, errorCorrection: ErrorCorrection) -> (mask: Int, grid: ModuleGrid) {
        var best = (mask: 0, grid: masked(grid, mask: 0, errorCorrection: errorCorrection))
        var bestPenalty = penalty(of: best.grid)
        for mask in 1..<8 {
            let candidate = masked(grid, mask: mask, errorCorrection: errorCorrection)
            let score = penalty(of: candidate)
            if score < bestPenalty {
                best = (mask, candidate)
                bestPenalty = score
            }
        }
        return best
    }

    /// The mask-selection penalty of a finished symbol, format information included.
    ///
    /// Follows libqrencode 4.1 (`mask.c`) where ISO/IEC 18004 leaves room, so that both pick the
    /// same mask: N2 counts every 2×2 same-coloured square, overlaps included; N3 counts a dark
    /// run flanked 1:1:3:1:1 (any multiple of that unit) once when at least four units of light
    /// lie on either side, the symbol edge counting as light quiet zone; N4 rounds the dark
    /// share to a whole percent before taking k = |percent − 50| / 5, rounded down.
    static func penalty(of grid: ModuleGrid) -> Int {
        let size = grid.size
        return grid.modules.withUnsafeBufferPointer { modules in
            var total = 0
            var dark = 0
            for index in 0..<(size * size) { dark += Int(modules[index]) }
            for y in 1..<size {
                for x in 1..<size {
                    let index = y * size + x
                    let sum = modules[index] &+ modules[index - 1]
                        &+ modules[index - size] &+ modules[index - size - 1]
                    if sum == 0 || sum == 4 { total += penaltyN2 }
                }
            }
            // One spare slot: a line starting dark gets a placeholder light run so dark runs sit at odd indices.
            var runs = [Int](repeating: 0, count: size + 1)
            runs.withUnsafeMutableBufferPointer { runs in
                for line in 0..<size {
                    total += lineN1N3(modules, start: line * size, stride: 1, size: size, runs: runs)
                    total += lineN1N3(modules, start: line, stride: size, size: size, runs: runs)
                }
            }
            let area = size * size
            let percent = (200 * dark + area) / area / 2
            total += abs(percent - 50) / 5 * penaltyN4
            return total
        }
    }

    /// N1 and N3 penalties of one row or column.
    private static func lineN1N3(
        _ modules: UnsafeBufferPointer<UInt8>, start: Int, stride: Int, size: Int,
        runs: UnsafeMutableBufferPointer<Int>
    ) -> Int {
        var head = 0
        var previous = modules[start]
        if previous == 1 {
            runs[0] = -1
            head = 1
        }
        runs[head] = 1
        var position = start + stride
        for _ in 1..<size {
            let module = modules[position]
            if module == previous {
                runs[head] += 1
            } else {
                head += 1
                runs[head] = 1
                previous = module
            }
            position += stride
        }
        let count = head + 1

        var demerit = 0
        for index in 0..<count {
            let run = runs[index]
            if run >= 5 { demerit += penaltyN1 + (run - 5) }
            guard index & 1 == 1, index >= 3, index < count - 2, run % 3 == 0 else { continue }
            let unit = run / 3
            guard runs[index - 2] == unit, runs[index - 1] == unit,
                runs[index + 1] == unit, runs[index + 2] == unit
            else { continue }
            let lightBefore = index == 3 || runs[index - 3] >= 4 * unit
            let lightAfter = index + 4 >= count || runs[index + 3] >= 4 * unit
            if lightBefore || lightAfter { demerit += penaltyN3 }
        }
        return demerit
    }
}
