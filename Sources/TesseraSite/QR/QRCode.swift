/// A QR code symbol (ISO/IEC 18004), byte mode only.
public struct QRCode: Sendable, Equatable {
    /// Error-correction level: about 7, 15, 25 and 30 % of codewords recoverable.
    public enum ErrorCorrection: String, CaseIterable, Sendable {
        /// Level L: about 7 % of codewords recoverable.
        case low = "L"
        /// Level M: about 15 % of codewords recoverable.
        case medium = "M"
        /// Level Q: about 25 % of codewords recoverable.
        case quartile = "Q"
        /// Level H: about 30 % of codewords recoverable.
        case high = "H"
    }

    /// Why bytes could not be encoded as a QR code.
    public enum EncodingError: Error, Equatable, Sendable {
        /// The bytes do not fit in version 40 (or in any version from `minimumVersion` on) at this level.
        case tooLong(bytes: Int, errorCorrection: ErrorCorrection)
        /// The requested minimum version is outside 1...40.
        case versionOutOfRange(Int)
        /// The requested mask is outside 0...7.
        case maskOutOfRange(Int)
    }

    /// Symbol version, 1...40; the symbol is 17 + 4 × version modules wide.
    public let version: Int
    /// Error-correction level the symbol was encoded with.
    public let errorCorrection: ErrorCorrection
    /// Mask pattern applied to the data modules, 0...7.
    public let mask: Int
    /// Row-major modules, `true` for dark.
    let modules: [Bool]

    /// Modules per side, without quiet zone.
    public var size: Int { 17 + 4 * version }

    /// Whether the module at column x, row y is dark (0-based, without quiet zone).
    ///
    /// Coordinates outside the symbol read as light, as the quiet zone around it is.
    public subscript(x: Int, y: Int) -> Bool {
        let size = size
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Encodes bytes in byte mode in the smallest version ≥ minimumVersion that fits; picks the mask with the lowest penalty (ISO 18004 §7.8.3 rules N1–N4) unless `mask` is given.
    public init(
        bytes: some Collection<UInt8>, errorCorrection: ErrorCorrection = .medium,
        minimumVersion: Int = 1, mask: Int? = nil
    ) throws(EncodingError) {
        guard (1...40).contains(minimumVersion) else { throw .versionOutOfRange(minimumVersion) }
        if let mask, !(0...7).contains(mask) { throw .maskOutOfRange(mask) }
        let data = Array(bytes)
        guard let version = Self.smallestVersion(
            holding: data.count, errorCorrection: errorCorrection, from: minimumVersion)
        else { throw .tooLong(bytes: data.count, errorCorrection: errorCorrection) }

        var grid = Self.functionGrid(version: version)
        Self.placeCodewords(
            Self.codewords(for: data, version: version, errorCorrection: errorCorrection), in: &grid)
        let finished: (mask: Int, grid: ModuleGrid)
        if let mask {
            finished = (mask, Self.masked(grid, mask: mask, errorCorrection: errorCorrection))
        } else {
            finished = Self.bestMasked(grid, errorCorrection: errorCorrection)
        }

        self.version = version
        self.errorCorrection = errorCorrection
        self.mask = finished.mask
        self.modules = finished.grid.modules.map { $0 != 0 }
    }

    /// Encodes the UTF-8 bytes of `text` in byte mode, otherwise as ``init(bytes:errorCorrection:minimumVersion:mask:)``.
    public init(
        text: String, errorCorrection: ErrorCorrection = .medium,
        minimumVersion: Int = 1, mask: Int? = nil
    ) throws(EncodingError) {
        try self.init(
            bytes: text.utf8, errorCorrection: errorCorrection,
            minimumVersion: minimumVersion, mask: mask)
    }
}
