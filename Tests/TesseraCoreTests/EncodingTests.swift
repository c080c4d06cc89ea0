import Testing
@testable import TesseraCore
import TesseraTestSupport

private func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

private func bytes(hex: String) -> [UInt8] {
    let text = Array(hex.utf8)
    func nibble(_ c: UInt8) -> UInt8 { c <= UInt8(ascii: "9") ? c - UInt8(ascii: "0") : (c | 0x20) - UInt8(ascii: "a") + 10 }
    return stride(from: 0, to: text.count, by: 2).map { nibble(text[$0]) << 4 | nibble(text[$0 + 1]) }
}

// A fixed xorshift generator keeps the "many values" tests reproducible.
private struct XorShift {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}


@Suite(.offThePool) struct Base64URLTests {
    @Test(arguments: 0...70)
    func roundTrip(length: Int) {
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let encoded = Base64URL.encode(data)
        #expect(!encoded.contains("="))
        #expect(encoded.utf8.count == (length * 4 + 2) / 3)
        #expect(Base64URL.decode(encoded) == data)
        var appended: [UInt8] = [0x2E]
        Base64URL.encode(data, into: &appended)
        #expect(appended == [0x2E] + Array(encoded.utf8))
    }

    @Test func rfc4648Vectors() {
        let vectors = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in vectors {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
        }
    }

    @Test func usesURLSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test func emptyInputDecodesToEmpty() {
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode([UInt8]()) == [])
    }

    @Test func decodesSubstringsAndByteSlices() {
        #expect(Base64URL.decode("xxZm9vyy".dropFirst(2).dropLast(2)) == Array("foo".utf8))
        #expect(Base64URL.decode(Array("..Zm9v".utf8)[2...]) == Array("foo".utf8))
    }

    @Test func rejectsPadding() {
        #expect(Base64URL.decode("Zg==") == nil)
        #expect(Base64URL.decode("Zm8=") == nil)
        #expect(Base64URL.decode("=") == nil)
    }

    @Test func rejectsPlus() {
        #expect(Base64URL.decode("ab+c") == nil)
    }

    @Test func rejectsSlash() {
        #expect(Base64URL.decode("ab/c") == nil)
    }

    @Test func rejectsWhitespace() {
        #expect(Base64URL.decode("ab c") == nil)
        #expect(Base64URL.decode(" abc") == nil)
        #expect(Base64URL.decode("abc\n") == nil)
        #expect(Base64URL.decode("ab\tc") == nil)
    }

    @Test func rejectsNonAlphabetBytes() {
        #expect(Base64URL.decode("ab.c") == nil)
        #expect(Base64URL.decode("é234") == nil)
        #expect(Base64URL.decode([0x00, 0x41, 0x41, 0x41] as [UInt8]) == nil)
        #expect(Base64URL.decode([0x41, 0x41, 0x41, 0xFF] as [UInt8]) == nil)
    }

    @Test func rejectsLengthOneModFour() {
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("abcde") == nil)
    }

    @Test func rejectsNonZeroTrailingBitsAfterTwoCharacters() {
        // "Zg" is the canonical encoding of "f"; "Zh" differs only in the discarded low 4 bits.
        #expect(Base64URL.decode("Zh") == nil)
        #expect(Base64URL.decode("Zm9vYh") == nil)
    }

    @Test func rejectsNonZeroTrailingBitsAfterThreeCharacters() {
        // "Zm8" is the canonical encoding of "fo"; "Zm9" sets a discarded low bit.
        #expect(Base64URL.decode("Zm9") == nil)
    }
}


@Suite(.offThePool) struct BLAKE2bTests {
    @Test func rfc7693AppendixA() {
        let digest = BLAKE2b.hash(Array("abc".utf8), outputLength: 64)
        #expect(hex(digest) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test func emptyMessage() {
        #expect(hex(BLAKE2b.hash([UInt8](), outputLength: 64)) == "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce")
        #expect(hex(BLAKE2b.hash([UInt8](), outputLength: 33)) == "ddca500c4d28f7f2816de1574f840e4878c1c5aa30c149745e0149273b214c359d")
    }

    @Test func shortOutputIsNotATruncation() {
        let short = BLAKE2b.hash(Array("abc".utf8), outputLength: 33)
        let long = BLAKE2b.hash(Array("abc".utf8), outputLength: 64)
        #expect(short.count == 33)
        #expect(short != Array(long.prefix(33)))
    }

    // Expected digests computed with Python's hashlib.blake2b.
    @Test(arguments: [
        (128, 64, "2319e3789c47e2daa5fe807f61bec2a1a6537fa03f19ff32e87eecbfd64b7e0e8ccff439ac333b040f19b0c4ddd11a61e24ac1fe0f10a039806c5dcc0da3d115"),
        (129, 64, "f59711d44a031d5f97a9413c065d1e614c417ede998590325f49bad2fd444d3e4418be19aec4e11449ac1a57207898bc57d76a1bcf3566292c20c683a5c4648f"),
        (256, 64, "1ecc896f34d3f9cac484c73f75f6a5fb58ee6784be41b35f46067b9c65c63a6794d3d744112c653f73dd7deb6666204c5a9bfa5b46081fc10fdbe7884fa5cbf8"),
        (256, 32, "39a7eb9fedc19aabc83425c6755dd90e6f9d0c804964a1f4aaeea3b9fb599835"),
    ])
    func multiBlockCountingBytes(length: Int, outputLength: Int, expected: String) {
        // Message bytes 0, 1, 2, ... (mod 256), as bytes(i & 0xff for i in range(length)).
        let message = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        #expect(hex(BLAKE2b.hash(message, outputLength: outputLength)) == expected)
    }

    @Test func multiBlockVectorsFromHashlib() {
        let mod251 = (0..<200).map { UInt8($0 % 251) }
        #expect(hex(BLAKE2b.hash(mod251, outputLength: 33)) == "0e05b1cffd648eb8451fdf00b738a05bf3082f9a3edae234ff675f0cad4ab70d7d")
        let affine = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        #expect(hex(BLAKE2b.hash(affine, outputLength: 33)) == "ffa3f553fe3c7b2d7904a5f795a4d1ee0bf5aa6352dcb472e3fef4705b3a1fe6ba")
        #expect(hex(BLAKE2b.hash(Array("a".utf8), outputLength: 1)) == "de")
    }

    @Test func keyedVectorsFromHashlib() {
        let key64 = (0..<64).map { UInt8($0) }
        var empty = BLAKE2b(outputLength: 64, key: key64)
        empty.update([UInt8]())
        #expect(hex(empty.finalize()) == "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568")

        var abc = BLAKE2b(outputLength: 64, key: key64)
        abc.update(Array("abc".utf8))
        #expect(hex(abc.finalize()) == "06bbc3dedf13a31139498655251b7588ccd3bb5aaa071b2d44d8e0a04095579ed590fbfdcf941f4370ce5ce623624e7a76d33e7a8109dcda9b57d72f8f8efa51")

        var block = BLAKE2b(outputLength: 33, key: (0..<32).map { UInt8($0) })
        block.update((0..<128).map { UInt8($0) })
        #expect(hex(block.finalize()) == "026d6d889791887e29b4c22e3ded62a4a1df27541df50f7efb1ef34658d51367f2")

        var twoBlocks = BLAKE2b(outputLength: 64, key: [0x01])
        twoBlocks.update((0..<256).map { UInt8($0) })
        #expect(hex(twoBlocks.finalize()) == "35befc98c1c0a1fe5a60bb939a26beab44199f9b533b7fc975ab144edfa8c14bd4027836e4007e88cc0890045edf6d78953277209054f247a0782dc9b23592f3")

        var short = BLAKE2b(outputLength: 16, key: key64)
        short.update((0..<200).map { UInt8($0 % 251) })
        #expect(hex(short.finalize()) == "2a01c9f85e180cbecdcd41de4617aac7")
    }

    @Test(arguments: [1, 7, 64, 127, 128, 129, 300])
    func incrementalMatchesOneShot(chunk: Int) {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        var hasher = BLAKE2b(outputLength: 33)
        var offset = 0
        while offset < message.count {
            let end = min(offset + chunk, message.count)
            hasher.update(message[offset..<end])
            offset = end
        }
        #expect(hex(hasher.finalize()) == "ffa3f553fe3c7b2d7904a5f795a4d1ee0bf5aa6352dcb472e3fef4705b3a1fe6ba")
    }

    // The non-failing cases of Vectors/paseto/k4.pid.json.
    @Test(arguments: [
        ("0000000000000000000000000000000000000000000000000000000000000000", "k4.pid.S_XQmeEwHbbvRmiyfXfHYpLGjXGzjTRSDoT1YtTakWFE"),
        ("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f", "k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs"),
        ("707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e90", "k4.pid.-nyvbaTz8U6TQz7OZWW-iB3va31iAxIpUgzUcVQVmW9A"),
    ])
    func paserkK4PID(publicKeyHex: String, expected: String) {
        let header = "k4.pid."
        let paserk = "k4.public." + Base64URL.encode(bytes(hex: publicKeyHex))
        let digest = BLAKE2b.hash(Array((header + paserk).utf8), outputLength: 33)
        #expect(header + Base64URL.encode(digest) == expected)
    }
}


struct JSONRejection: Sendable, CustomTestStringConvertible {
    let name: String
    let input: [UInt8]
    let error: JSONError
    var testDescription: String { name }

    init(_ name: String, _ input: String, _ error: JSONError) {
        self.init(name, Array(input.utf8), error)
    }

    init(_ name: String, _ input: [UInt8], _ error: JSONError) {
        self.name = name
        self.input = input
        self.error = error
    }
}

@Suite(.offThePool) struct JSONTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONParser().parse(Array(text.utf8))
    }

    @Test func parsesClaimsObject() throws {
        let text = #"{"iss":"https://tessera.example","aud":["a","b"],"exp":"2025-01-01T00:00:00Z","uses":1,"ok":true,"note":null,"nested":{"x":[1,{"y":-2.5e+3}]}}"#
        let value = try parse(text)
        #expect(value.isObject)
        #expect(value["iss"]?.stringValue == "https://tessera.example")
        #expect(value["aud"] == .array([.string("a"), .string("b")]))
        #expect(value["uses"]?.integerValue == 1)
        #expect(value["ok"]?.boolValue == true)
        #expect(value["note"] == .null)
        #expect(value["nested"]?["x"] == .array([.number("1"), .object([(key: "y", value: .number("-2.5e+3"))])]))
        #expect(value["missing"] == nil)
        #expect(value.objectMembers?.map(\.key) == ["iss", "aud", "exp", "uses", "ok", "note", "nested"])
        #expect(String(decoding: value.serialized(), as: UTF8.self) == text)
    }

    @Test(arguments: ["null", "true", "false", "0", "-0", "12", "-1.5", "1e10", "1E-2", "2.5e+3", "\"\"", "[]", "{}", " \t\r\n[ 1 , { \"a\" : [ ] } ]\n"])
    func acceptsValidTopLevelValues(text: String) throws {
        _ = try parse(text)
    }

    @Test func resolvesEscapes() throws {
        let value = try parse(#""q\"b\\s\/\b\f\n\r\t\u00e9\uD83D\uDE00\u0000""#)
        #expect(value == .string("q\"b\\s/\u{08}\u{0C}\n\r\té😀\u{00}"))
    }

    @Test func keepsRawUTF8() throws {
        #expect(try parse("\"é€😀\u{7F}\"") == .string("é€😀\u{7F}"))
    }

    @Test func canonicallyEquivalentKeysAreDistinct() throws {
        let value = try parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        #expect(value["\u{E9}"]?.integerValue == 1)
        #expect(value["e\u{301}"]?.integerValue == 2)
    }

    static let rejections: [JSONRejection] = [
        JSONRejection("empty input", "", .unexpectedEnd),
        JSONRejection("whitespace only", " \n", .unexpectedEnd),
        JSONRejection("unterminated array", "[1,2", .unexpectedEnd),
        JSONRejection("unterminated string", "\"abc", .unexpectedEnd),
        JSONRejection("truncated literal", "tru", .unexpectedEnd),
        JSONRejection("overlong UTF-8", [0x22, 0xC0, 0xAF, 0x22], .invalidUTF8),
        JSONRejection("UTF-8 encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8),
        JSONRejection("code point above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8),
        JSONRejection("truncated UTF-8 sequence", [0x22, 0xE2, 0x82, 0x22], .invalidUTF8),
        JSONRejection("stray continuation byte", [0x22, 0x80, 0x22], .invalidUTF8),
        JSONRejection("byte 0xFF", [0x22, 0xFF, 0x22], .invalidUTF8),
        JSONRejection("leading BOM", [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], .unexpectedByte(offset: 0)),
        JSONRejection("form feed as whitespace", "\u{0C}{}", .unexpectedByte(offset: 0)),
        JSONRejection("duplicate key", #"{"a":1,"a":2}"#, .duplicateKey("a")),
        JSONRejection("duplicate key via escape", #"{"a":1,"\u0061":2}"#, .duplicateKey("a")),
        JSONRejection("duplicate key in nested object", #"{"a":{"b":1,"b":2}}"#, .duplicateKey("b")),
        JSONRejection("invalid escape", #""\x""#, .invalidEscape(offset: 1)),
        JSONRejection("bad hex in \\u escape", #""\u12G4""#, .invalidEscape(offset: 1)),
        JSONRejection("lone high surrogate", #""\uD800""#, .loneSurrogate(offset: 1)),
        JSONRejection("lone low surrogate", #""\uDC00""#, .loneSurrogate(offset: 1)),
        JSONRejection("misordered surrogates", #""\uDC00\uD800""#, .loneSurrogate(offset: 1)),
        JSONRejection("high surrogate then non-surrogate", #""\uD800\u0041""#, .loneSurrogate(offset: 1)),
        JSONRejection("raw control character", "\"a\u{01}\"", .controlCharacterInString(offset: 2)),
        JSONRejection("raw newline in string", "\"a\nb\"", .controlCharacterInString(offset: 2)),
        JSONRejection("leading zero", "01", .invalidNumber(offset: 1)),
        JSONRejection("negative leading zero", "-01", .invalidNumber(offset: 2)),
        JSONRejection("leading plus", "+1", .unexpectedByte(offset: 0)),
        JSONRejection("leading dot", ".5", .unexpectedByte(offset: 0)),
        JSONRejection("trailing dot", "1.", .invalidNumber(offset: 2)),
        JSONRejection("empty exponent", "1e", .invalidNumber(offset: 2)),
        JSONRejection("signed empty exponent", "1e+", .invalidNumber(offset: 3)),
        JSONRejection("lone minus", "-", .invalidNumber(offset: 1)),
        JSONRejection("NaN", "NaN", .unexpectedByte(offset: 0)),
        JSONRejection("Infinity", "Infinity", .unexpectedByte(offset: 0)),
        JSONRejection("negative Infinity", "-Infinity", .invalidNumber(offset: 1)),
        JSONRejection("capitalised literal", "True", .unexpectedByte(offset: 0)),
        JSONRejection("misspelt literal", "nulL", .unexpectedByte(offset: 3)),
        JSONRejection("trailing comma in array", "[1,]", .unexpectedByte(offset: 3)),
        JSONRejection("trailing comma in object", #"{"a":1,}"#, .unexpectedByte(offset: 7)),
        JSONRejection("unquoted key", "{a:1}", .unexpectedByte(offset: 1)),
        JSONRejection("single quotes", "'a'", .unexpectedByte(offset: 0)),
        JSONRejection("data after value", #"{"a":1} x"#, .trailingData(offset: 8)),
        JSONRejection("two values", "{}{}", .trailingData(offset: 2)),
        JSONRejection("literal with suffix", "truex", .trailingData(offset: 4)),
    ]

    @Test(arguments: rejections)
    func rejects(_ rejection: JSONRejection) {
        #expect(throws: rejection.error) {
            try JSONParser().parse(rejection.input)
        }
    }

    @Test func rejectsInputOverMaxBytesBeforeParsing() {
        #expect(throws: JSONError.tooLarge) {
            try JSONParser().parse([UInt8](repeating: 0x20, count: 65_537))
        }
        #expect(throws: JSONError.tooLarge) {
            try JSONParser(maxBytes: 3).parse(Array("[12]".utf8))
        }
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        _ = try parse(ok)
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(throws: JSONError.tooDeep) { try parse(tooDeep) }
        let objects = String(repeating: #"{"a":"#, count: 33) + "1" + String(repeating: "}", count: 33)
        #expect(throws: JSONError.tooDeep) { try parse(objects) }
    }

    @Test func hundredThousandOpenBracketsFailCleanly() {
        let input = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONError.tooDeep) {
            try JSONParser(maxBytes: 1_000_000).parse(input)
        }
        // Even with the depth limit lifted the parser keeps its own stack, so it reaches the end instead of overflowing.
        #expect(throws: JSONError.unexpectedEnd) {
            try JSONParser(maxDepth: .max, maxBytes: 1_000_000).parse(input)
        }
    }

    @Test(arguments: [1, 8, 15, 16, 17, 40, 5_000])
    func duplicateKeysInObjectsOfAnySize(memberCount: Int) throws {
        var text = "{"
        for index in 0..<memberCount { text += "\"k\(index)\":\(index)," }
        let parser = JSONParser(maxBytes: 1 << 20)
        let unique = try parser.parse(Array((text + "\"last\":0}").utf8))
        #expect(unique.objectMembers?.count == memberCount + 1)
        #expect(throws: JSONError.duplicateKey("k0")) {
            try parser.parse(Array((text + "\"k0\":0}").utf8))
        }
        #expect(throws: JSONError.duplicateKey("k\(memberCount - 1)")) {
            try parser.parse(Array((text + "\"k\(memberCount - 1)\":0}").utf8))
        }
    }

    @Test func integerValueEdgeCases() throws {
        #expect(try parse("9223372036854775807").integerValue == Int64.max)
        #expect(try parse("-9223372036854775808").integerValue == Int64.min)
        #expect(try parse("9223372036854775808").integerValue == nil)
        #expect(try parse("1.0").integerValue == nil)
        #expect(try parse("1e2").integerValue == nil)
        #expect(try parse("1E2").integerValue == nil)
        #expect(try parse("-0").integerValue == 0)
        #expect(try parse("\"1\"").integerValue == nil)
    }

    @Test func serializesEscapesCompactly() throws {
        let value = JSONValue.object([
            (key: "s", value: .string("q\"b\\s/\n\t\r\u{08}\u{0C}\u{00}\u{1F}é")),
            (key: "a", value: .array([.null, .bool(false), .number("-1.5e3")])),
        ])
        let text = String(decoding: value.serialized(), as: UTF8.self)
        #expect(text == #"{"s":"q\"b\\s/\n\t\r\b\f\u0000\u001fé","a":[null,false,-1.5e3]}"#)
        #expect(try JSONParser().parse(value.serialized()) == value)
    }

    @Test func roundTripsGeneratedValues() throws {
        var random = XorShift(state: 99)
        func generate(depth: Int) -> JSONValue {
            switch random.next() % (depth > 3 ? 4 : 6) {
            case 0: return .null
            case 1: return .bool(random.next() % 2 == 0)
            case 2: return .number(["0", "-0", "12", "-3.25e-7", "1E+300", "123456789012345678901234567890"][Int(random.next() % 6)])
            case 3:
                let scalars: [Unicode.Scalar] = ["a", "\"", "\\", "/", "\u{00}", "\u{1F}", "\u{7F}", "é", "€", "😀", "\u{2028}", "\n"]
                var string = ""
                for _ in 0..<(random.next() % 8) { string.unicodeScalars.append(scalars[Int(random.next() % 12)]) }
                return .string(string)
            case 4:
                return .array((0..<(random.next() % 5)).map { _ in generate(depth: depth + 1) })
            default:
                var members: [(key: String, value: JSONValue)] = []
                for index in 0..<(random.next() % 12) { members.append((key: "k\(index)é\"", value: generate(depth: depth + 1))) }
                return .object(members)
            }
        }
        for _ in 0..<500 {
            let value = generate(depth: 0)
            #expect(try JSONParser().parse(value.serialized()) == value)
        }
    }

    @Test func memberOrderMatters() throws {
        #expect(try parse(#"{"a":1,"b":2}"#) != parse(#"{"b":2,"a":1}"#))
    }
}


@Suite(.offThePool) struct TimestampTests {
    @Test(arguments: [
        ("1970-01-01T00:00:00Z", Int64(0), Int32(0)),
        ("2000-02-29T00:00:00Z", 951_782_400, 0),
        ("2000-02-29T02:00:00+02:00", 951_782_400, 0),
        ("2000-02-28T22:30:00-01:30", 951_782_400, 0),
        ("2024-02-29T12:00:00Z", 1_709_208_000, 0),
        ("1970-01-01T00:00:00.5Z", 0, 500_000_000),
        ("1970-01-01T00:00:00.123456789Z", 0, 123_456_789),
        ("1969-12-31T23:59:59.999999999Z", -1, 999_999_999),
        ("1998-12-31T23:59:60Z", 915_148_800, 0),
        ("0000-01-01T00:00:00Z", -62_167_219_200, 0),
        ("9999-12-31T23:59:59Z", 253_402_300_799, 0),
    ])
    func parsesValidForms(text: String, seconds: Int64, nanoseconds: Int32) {
        #expect(Timestamp(rfc3339: text) == Timestamp(seconds: seconds, nanoseconds: nanoseconds))
        #expect(Timestamp(rfc3339Bytes: Array(text.utf8)) == Timestamp(seconds: seconds, nanoseconds: nanoseconds))
    }

    @Test(arguments: [
        "2000-02-29t00:00:00Z",  // lowercase t
        "2000-02-29T00:00:00z",  // lowercase z
        "2000-02-29T00:00:00",  // no offset
        "2023-02-29T00:00:00Z",  // not a leap year
        "1900-02-29T00:00:00Z",  // century, not a leap year
        "2000-13-01T00:00:00Z",  // month 13
        "2000-00-01T00:00:00Z",  // month 0
        "2000-04-31T00:00:00Z",  // day past month end
        "2000-01-01T24:00:00Z",  // hour 24
        "2000-01-01T00:60:00Z",  // minute 60
        "2000-01-01T00:00:61Z",  // second 61
        "2000-01-01T00:00:00.1234567890Z",  // 10-digit fraction
        "2000-01-01T00:00:00.Z",  // empty fraction
        "2000-01-01T00:00:00Z ",  // trailing space
        " 2000-01-01T00:00:00Z",  // leading space
        "2000-01-01T00:00:00+0000",  // offset without colon
        "2000-01-01T00:00:00+24:00",  // offset hour 24
        "2000-01-01 00:00:00Z",  // space instead of T
        "20000-01-01T00:00:00Z",  // five-digit year
        "2000-1-01T00:00:00Z",  // one-digit month
        "2000-0a-01T00:00:00Z",  // non-digit
        "2000-01-01T00:00:00ZZ",  // extra character
        "",
    ])
    func rejectsInvalidForms(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test func formatsKnownInstants() {
        #expect(Timestamp(seconds: 0).rfc3339 == "1970-01-01T00:00:00Z")
        #expect(Timestamp(seconds: 951_782_400).rfc3339 == "2000-02-29T00:00:00Z")
        #expect(Timestamp(seconds: -14_182_940).rfc3339 == "1969-07-20T20:17:40Z")
        #expect(Timestamp(seconds: -1, nanoseconds: 999_999_999).rfc3339 == "1969-12-31T23:59:59Z")
        #expect(Timestamp(seconds: 59, nanoseconds: 999_999_999).rfc3339 == "1970-01-01T00:00:59Z")
    }

    @Test func parseOfFormatIsIdentity() {
        var random = XorShift(state: 4242)
        for _ in 0..<10_000 {
            // Any whole second from 0000-01-01 through 9999-12-31.
            let seconds = Int64(random.next() % 315_537_897_600) - 62_167_219_200
            let instant = Timestamp(seconds: seconds)
            #expect(Timestamp(rfc3339: instant.rfc3339) == instant)
        }
    }

    @Test func ordersByInstant() {
        #expect(Timestamp(seconds: 1) < Timestamp(seconds: 1, nanoseconds: 1))
        #expect(Timestamp(seconds: -2, nanoseconds: 999) < Timestamp(seconds: -1))
        #expect(Timestamp(rfc3339: "2000-01-01T01:00:00+02:00")! < Timestamp(rfc3339: "2000-01-01T00:00:00Z")!)
    }

    @Test func addingSeconds() {
        #expect(Timestamp(seconds: 10, nanoseconds: 5).adding(seconds: -20) == Timestamp(seconds: -10, nanoseconds: 5))
        #expect(Timestamp(seconds: .max - 1).adding(seconds: 10).seconds == .max)
        #expect(Timestamp(seconds: .min + 1).adding(seconds: -10).seconds == .min)
    }
}
