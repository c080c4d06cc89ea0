/// Byte-wise ASCII case folding. Names and paths compared "in any ASCII case" fold A–Z only, so no
/// Unicode rule (the Kelvin sign, a dotless i) can make two different byte strings equal.
public enum ASCII {
    /// `byte` with A–Z mapped to a–z; every other byte as it is.
    @inlinable public static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
