/// PASETO's pre-authentication encoding: an unambiguous byte string for a list of pieces.
enum PAE {
    /// `LE64(count) ‖ for each piece: LE64(length) ‖ piece`, the top bit of each LE64 cleared.
    static func encode(_ pieces: [ArraySlice<UInt8>]) -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(8 + pieces.reduce(0) { $0 + 8 + $1.count })
        appendLE64(UInt64(pieces.count), to: &output)
        for piece in pieces {
            appendLE64(UInt64(piece.count), to: &output)
            output.append(contentsOf: piece)
        }
        return output
    }

    private static func appendLE64(_ value: UInt64, to output: inout [UInt8]) {
        let masked = value & 0x7fff_ffff_ffff_ffff
        for shift in stride(from: 0, to: 64, by: 8) {
            output.append(UInt8(truncatingIfNeeded: masked >> UInt64(shift)))
        }
    }
}
