/// Unpadded base64url (RFC 4648 §5), decoded as strictly as PASETO requires.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8
    )

    // 0xFF marks every byte outside the alphabet, so a single table load both
    // validates and decodes; valid sextets never have either of the top two bits set.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    /// Encodes bytes as unpadded base64url (RFC 4648 §5).
    public static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        withBuffer(bytes) { source in
            let length = encodedLength(source.count)
            guard length > 0 else { return "" }
            return String(unsafeUninitializedCapacity: length) { destination in
                encode(source, to: destination.baseAddress!)
                return length
            }
        }
    }

    /// Appends the unpadded base64url encoding of `bytes` to `output` (ASCII bytes).
    public static func encode<C: Collection>(_ bytes: C, into output: inout [UInt8])
    where C.Element == UInt8 {
        withBuffer(bytes) { source in
            let length = encodedLength(source.count)
            guard length > 0 else { return }
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: length))
            output.withUnsafeMutableBufferPointer { destination in
                encode(source, to: destination.baseAddress! + start)
            }
        }
    }

    /// Strictly decodes unpadded base64url; nil for padding, any character outside A-Z a-z 0-9 - _, a length ≡ 1 (mod 4), or non-zero trailing bits.
    public static func decode<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        withBuffer(text) { decode(buffer: $0) }
    }

    /// Strictly decodes the UTF-8 of `text` as unpadded base64url, with the same rules as the byte form.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(text.utf8)
    }

    private static func withBuffer<C: Collection, R>(
        _ bytes: C, _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable(body) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer(body)
    }

    private static func encodedLength(_ count: Int) -> Int {
        let tail = count % 3
        return count / 3 * 4 + (tail == 0 ? 0 : tail + 1)
    }

    private static func encode(_ source: UnsafeBufferPointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>) {
        alphabet.withUnsafeBufferPointer { table in
            let count = source.count
            var i = 0
            var o = 0
            while i + 3 <= count {
                let word = UInt32(source[i]) << 16 | UInt32(source[i + 1]) << 8 | UInt32(source[i + 2])
                destination[o] = table[Int(word >> 18)]
                destination[o + 1] = table[Int(word >> 12 & 0x3F)]
                destination[o + 2] = table[Int(word >> 6 & 0x3F)]
                destination[o + 3] = table[Int(word & 0x3F)]
                i += 3
                o += 4
            }
            switch count - i {
            case 1:
                let word = UInt32(source[i]) << 16
                destination[o] = table[Int(word >> 18)]
                destination[o + 1] = table[Int(word >> 12 & 0x3F)]
            case 2:
                let word = UInt32(source[i]) << 16 | UInt32(source[i + 1]) << 8
                destination[o] = table[Int(word >> 18)]
                destination[o + 1] = table[Int(word >> 12 & 0x3F)]
                destination[o + 2] = table[Int(word >> 6 & 0x3F)]
            default:
                break
            }
        }
    }

    private static func decode(buffer source: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let count = source.count
        let tail = count % 4
        // A lone trailing sextet carries only 6 bits, never a whole byte.
        if tail == 1 { return nil }
        if count == 0 { return [] }
        let length = count / 4 * 3 + (tail == 0 ? 0 : tail - 1)
        var valid = true
        let output = [UInt8](unsafeUninitializedCapacity: length) { destination, initialized in
            decodeTable.withUnsafeBufferPointer { table in
                // Invalid bytes are OR-ed together and checked once, keeping the loop branch-free.
                var invalid: UInt8 = 0
                var i = 0
                var o = 0
                let whole = count - tail
                while i < whole {
                    let a = table[Int(source[i])]
                    let b = table[Int(source[i + 1])]
                    let c = table[Int(source[i + 2])]
                    let d = table[Int(source[i + 3])]
                    invalid |= a | b | c | d
                    let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                    destination[o] = UInt8(truncatingIfNeeded: word >> 16)
                    destination[o + 1] = UInt8(truncatingIfNeeded: word >> 8)
                    destination[o + 2] = UInt8(truncatingIfNeeded: word)
                    i += 4
                    o += 3
                }
                if tail == 2 {
                    let a = table[Int(source[i])]
                    let b = table[Int(source[i + 1])]
                    invalid |= a | b
                    // Non-canonical encodings (stray low bits) would let one payload have many spellings.
                    invalid |= b & 0x0F == 0 ? 0 : 0xFF
                    destination[o] = a << 2 | b >> 4
                } else if tail == 3 {
                    let a = table[Int(source[i])]
                    let b = table[Int(source[i + 1])]
                    let c = table[Int(source[i + 2])]
                    invalid |= a | b | c
                    invalid |= c & 0x03 == 0 ? 0 : 0xFF
                    destination[o] = a << 2 | b >> 4
                    destination[o + 1] = b << 4 | c >> 2
                }
                valid = invalid & 0xC0 == 0
            }
            initialized = length
        }
        return valid ? output : nil
    }
}
