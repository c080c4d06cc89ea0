/// A parsed JSON value; objects keep their members in document order.
public enum JSONValue: Equatable, Sendable {
    /// The literal `null`.
    case null
    /// The literal `true` or `false`.
    case bool(Bool)
    /// A number kept as its literal text (so no precision is lost), validated against the RFC 8259 grammar when parsed.
    case number(String)
    /// A string with all escapes resolved.
    case string(String)
    /// An array, elements in document order.
    case array([JSONValue])
    /// An object, members in document order.
    case object([(key: String, value: JSONValue)])

    /// Structural equality: strings and keys compare by exact Unicode scalars (no normalization), object members in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.number(a), .number(b)), let (.string(a), .string(b)):
            return exactlyEqual(a, b)
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !exactlyEqual(x.key, y.key) || x.value != y.value {
                return false
            }
            return true
        default:
            return false
        }
    }
}

/// Why a document was rejected by `JSONParser`.
public enum JSONError: Error, Equatable, Sendable {
    /// The input is not well-formed UTF-8 (including overlongs, encoded surrogates, code points above U+10FFFF and truncated sequences).
    case invalidUTF8
    /// An object repeats this key (compared after unescaping).
    case duplicateKey(String)
    /// Arrays and objects nest deeper than `maxDepth`.
    case tooDeep
    /// The input is longer than `maxBytes`.
    case tooLarge
    /// The input ends inside a value, or holds no value at all.
    case unexpectedEnd
    /// The byte at `offset` cannot appear there.
    case unexpectedByte(offset: Int)
    /// The backslash escape starting at `offset` is not one RFC 8259 allows.
    case invalidEscape(offset: Int)
    /// The number breaks the RFC 8259 grammar at `offset` (which may equal the input length).
    case invalidNumber(offset: Int)
    /// Something other than whitespace follows the top-level value, starting at `offset`.
    case trailingData(offset: Int)
    /// The `\u` escape at `offset` is a surrogate without its partner, or a misordered pair.
    case loneSurrogate(offset: Int)
    /// A raw byte below 0x20 appears inside a string at `offset`.
    case controlCharacterInString(offset: Int)
}

/// A strict RFC 8259 parser with limits on input size and nesting depth.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted; a top-level container counts as 1.
    public var maxDepth: Int = 32
    /// The longest input accepted, in bytes.
    public var maxBytes: Int = 65_536

    /// Creates a parser with the given limits.
    public init(maxDepth: Int = 32, maxBytes: Int = 65_536) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    /// Parses exactly one JSON value (of any kind), surrounded by optional whitespace, from UTF-8 bytes.
    public func parse<C: Collection>(_ bytes: C) throws(JSONError) -> JSONValue where C.Element == UInt8 {
        // Checked before copying or scanning, so oversized input costs nothing.
        guard bytes.count <= maxBytes else { throw .tooLarge }
        let maxDepth = maxDepth
        let parseBuffer = { (buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONError> in
            do throws(JSONError) {
                try validateUTF8(buffer)
                var reader = JSONReader(bytes: buffer, maxDepth: maxDepth)
                return .success(try reader.parseDocument())
            } catch {
                return .failure(error)
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(parseBuffer)
            ?? Array(bytes).withUnsafeBufferPointer(parseBuffer)
        return try result.get()
    }
}

extension JSONValue {
    /// The first member of an object with exactly this key; nil for other values or a missing key.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where exactlyEqual(member.key, key) {
            return member.value
        }
        return nil
    }

    /// The string, if this is a string.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The Boolean, if this is `true` or `false`.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The value as an integer when the literal is a plain integer (no fraction, no exponent) that fits Int64; nil otherwise.
    public var integerValue: Int64? {
        guard case .number(let literal) = self else { return nil }
        for byte in literal.utf8 where byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e") {
            return nil
        }
        return Int64(literal)
    }

    /// The members in document order, if this is an object.
    public var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Whether this is an object.
    public var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    /// Compact UTF-8 serialization (no spaces); strings escaped per RFC 8259: `"` `\` and U+0000–U+001F (as \n \t \r \b \f or \u00XX), everything else, including non-ASCII, written as UTF-8 as-is; `/` is not escaped; numbers written as their literal.
    public func serialized() -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        serialized(into: &output)
        return output
    }

    /// Appends the compact serialization described on `serialized()` to `output`.
    public func serialized(into output: inout [UInt8]) {
        // Recursion depth equals nesting depth, which the parser bounds by `maxDepth`.
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let value):
            output.append(contentsOf: value ? "true".utf8 : "false".utf8)
        case .number(let literal):
            output.append(contentsOf: literal.utf8)
        case .string(let value):
            writeJSONString(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.serialized(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                writeJSONString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.serialized(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }
}

// Swift's String == treats canonically equivalent strings as equal; JSON (RFC 8259 §8.3)
// and claim matching compare code points, so "é" and "e\u0301" must stay distinct keys.
private func exactlyEqual(_ a: String, _ b: String) -> Bool {
    guard a.utf8.count == b.utf8.count else { return false }
    let fast = a.utf8.withContiguousStorageIfAvailable { a in
        b.utf8.withContiguousStorageIfAvailable { b in a.elementsEqual(b) }
    }
    if let fast, let fast { return fast }
    return a.utf8.elementsEqual(b.utf8)
}

// Hashes and compares by UTF-8 bytes, for the same reason as `exactlyEqual`.
private struct ExactKey: Hashable {
    let string: String

    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
        exactlyEqual(lhs.string, rhs.string)
    }

    func hash(into hasher: inout Hasher) {
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(string.utf8).withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }
}

private func writeJSONString(_ string: String, into output: inout [UInt8]) {
    output.append(UInt8(ascii: "\""))
    let done: Void? = string.utf8.withContiguousStorageIfAvailable { writeEscaped($0, into: &output) }
    if done == nil {
        Array(string.utf8).withUnsafeBufferPointer { writeEscaped($0, into: &output) }
    }
    output.append(UInt8(ascii: "\""))
}

private func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
    let hex: StaticString = "0123456789abcdef"
    var runStart = 0
    for index in bytes.indices {
        let byte = bytes[index]
        guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
        // Unescaped runs are copied in bulk; most strings have no escapes at all.
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
        runStart = index + 1
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): output.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x09: output.append(UInt8(ascii: "t"))
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        default:
            output.append(contentsOf: "u00".utf8)
            output.append(hex.utf8Start[Int(byte >> 4)])
            output.append(hex.utf8Start[Int(byte & 0x0F)])
        }
    }
    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
}

// Validating everything up front means later stages can slice strings at ASCII
// delimiters without ever splitting or accepting a malformed sequence.
private func validateUTF8(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) {
    let count = bytes.count
    guard let base = bytes.baseAddress else { return }
    var i = 0
    while i < count {
        // Claims are almost all ASCII, so skip eight bytes at a time while no high bit is set.
        while i + 8 <= count,
            UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0
        {
            i += 8
        }
        guard i < count else { return }
        let lead = base[i]
        if lead < 0x80 {
            i += 1
            continue
        }
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF:
            length = 2
        case 0xE0...0xEF:
            length = 3
            if lead == 0xE0 { low = 0xA0 }  // overlong
            if lead == 0xED { high = 0x9F }  // UTF-16 surrogates
        case 0xF0...0xF4:
            length = 4
            if lead == 0xF0 { low = 0x90 }  // overlong
            if lead == 0xF4 { high = 0x8F }  // above U+10FFFF
        default:
            throw .invalidUTF8
        }
        guard i + length <= count else { throw .invalidUTF8 }
        let second = base[i + 1]
        guard second >= low && second <= high else { throw .invalidUTF8 }
        for k in 2..<length where base[i + k] & 0xC0 != 0x80 {
            throw .invalidUTF8
        }
        i += length
    }
}

// An explicit stack instead of recursion keeps stack use constant however deep the input goes.
private struct JSONFrame {
    var isObject: Bool
    var elements: [JSONValue] = []
    var members: [(key: String, value: JSONValue)] = []
    var pendingKey: String = ""
    // One cheap fingerprint per key lets the linear duplicate scan compare integers,
    // falling back to a full comparison only when fingerprints match.
    var keyFingerprints: [UInt64] = []
    // Built only once an object outgrows the linear scan; seeded SipHash keeps
    // crafted colliding keys from degrading it.
    var keys: Set<ExactKey>? = nil

    init(isObject: Bool) {
        self.isObject = isObject
        if isObject {
            members.reserveCapacity(16)
            keyFingerprints.reserveCapacity(16)
        }
    }
}

private struct JSONReader {
    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private static let linearKeyScanLimit = 16

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        var stack: [JSONFrame] = []
        parsing: while true {
            var value: JSONValue
            skipWhitespace()
            guard position < bytes.count else { throw .unexpectedEnd }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                guard stack.count < maxDepth else { throw .tooDeep }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                    position += 1
                    value = .object([])
                } else {
                    var frame = JSONFrame(isObject: true)
                    try readKey(into: &frame)
                    stack.append(frame)
                    continue parsing
                }
            case UInt8(ascii: "["):
                guard stack.count < maxDepth else { throw .tooDeep }
                position += 1
                skipWhitespace()
                if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                    position += 1
                    value = .array([])
                } else {
                    stack.append(JSONFrame(isObject: false))
                    continue parsing
                }
            case UInt8(ascii: "\""):
                position += 1
                var unused: UInt64 = 0
                value = .string(try readString(fingerprint: &unused, computesFingerprint: false))
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try readNumber())
            default:
                throw .unexpectedByte(offset: position)
            }

            // Hand the finished value to its container, closing containers as they end.
            while let top = stack.indices.last {
                skipWhitespace()
                if stack[top].isObject {
                    let key = stack[top].pendingKey
                    stack[top].members.append((key: key, value: value))
                    guard position < bytes.count else { throw .unexpectedEnd }
                    switch bytes[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        skipWhitespace()
                        try readKey(into: &stack[top])
                        continue parsing
                    case UInt8(ascii: "}"):
                        position += 1
                        value = .object(stack.removeLast().members)
                    default:
                        throw .unexpectedByte(offset: position)
                    }
                } else {
                    stack[top].elements.append(value)
                    guard position < bytes.count else { throw .unexpectedEnd }
                    switch bytes[position] {
                    case UInt8(ascii: ","):
                        position += 1
                        continue parsing
                    case UInt8(ascii: "]"):
                        position += 1
                        value = .array(stack.removeLast().elements)
                    default:
                        throw .unexpectedByte(offset: position)
                    }
                }
            }
            skipWhitespace()
            guard position == bytes.count else { throw .trailingData(offset: position) }
            return value
        }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONError) {
        let text = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for expected in text {
            guard position < bytes.count else { throw .unexpectedEnd }
            guard bytes[position] == expected else { throw .unexpectedByte(offset: position) }
            position += 1
        }
    }

    // Reads `"key"` and the following `:`, rejecting a key the object already has.
    private mutating func readKey(into frame: inout JSONFrame) throws(JSONError) {
        guard position < bytes.count else { throw .unexpectedEnd }
        guard bytes[position] == UInt8(ascii: "\"") else { throw .unexpectedByte(offset: position) }
        position += 1
        var fingerprint: UInt64 = 0
        let key = try readString(fingerprint: &fingerprint, computesFingerprint: true)
        if frame.keys == nil && frame.members.count >= Self.linearKeyScanLimit {
            // Past a handful of members a linear scan would make big objects quadratic.
            var keys = Set<ExactKey>(minimumCapacity: frame.members.count * 2)
            for member in frame.members {
                keys.insert(ExactKey(string: member.key))
            }
            frame.keys = keys
        }
        if frame.keys != nil {
            guard frame.keys!.insert(ExactKey(string: key)).inserted else { throw .duplicateKey(key) }
        } else {
            for (index, other) in frame.keyFingerprints.enumerated()
            where other == fingerprint && exactlyEqual(frame.members[index].key, key) {
                throw .duplicateKey(key)
            }
            frame.keyFingerprints.append(fingerprint)
        }
        skipWhitespace()
        guard position < bytes.count else { throw .unexpectedEnd }
        guard bytes[position] == UInt8(ascii: ":") else { throw .unexpectedByte(offset: position) }
        position += 1
        frame.pendingKey = key
    }

    // Called just past the opening quote; leaves `position` just past the closing one.
    @inline(__always)
    private mutating func readString(fingerprint: inout UInt64, computesFingerprint: Bool) throws(JSONError) -> String {
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
                if computesFingerprint { fingerprint = Self.fingerprint(slice) }
                position += 1
                return String(decoding: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                return try readEscapedString(from: start, fingerprint: &fingerprint, computesFingerprint: computesFingerprint)
            }
            if byte < 0x20 { throw .controlCharacterInString(offset: position) }
            position += 1
        }
        throw .unexpectedEnd
    }

    // FNV-1a: only a prefilter for the exact comparison, so it need not resist collisions.
    private static func fingerprint(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    private mutating func readEscapedString(
        from start: Int, fingerprint: inout UInt64, computesFingerprint: Bool
    ) throws(JSONError) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(position - start + 32)
        text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                if computesFingerprint {
                    fingerprint = text.withUnsafeBufferPointer { Self.fingerprint($0) }
                }
                return String(decoding: text, as: UTF8.self)
            }
            if byte < 0x20 { throw .controlCharacterInString(offset: position) }
            if byte != UInt8(ascii: "\\") {
                text.append(byte)
                position += 1
                continue
            }
            let escapeStart = position
            position += 1
            guard position < bytes.count else { throw .unexpectedEnd }
            let escaped = bytes[position]
            position += 1
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
            case UInt8(ascii: "b"): text.append(0x08)
            case UInt8(ascii: "f"): text.append(0x0C)
            case UInt8(ascii: "n"): text.append(0x0A)
            case UInt8(ascii: "r"): text.append(0x0D)
            case UInt8(ascii: "t"): text.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4(escapeStart: escapeStart)
                if (0xD800...0xDBFF).contains(scalar) {
                    guard position < bytes.count else { throw .unexpectedEnd }
                    guard bytes[position] == UInt8(ascii: "\\") else { throw .loneSurrogate(offset: escapeStart) }
                    guard position + 1 < bytes.count else { throw .unexpectedEnd }
                    guard bytes[position + 1] == UInt8(ascii: "u") else { throw .loneSurrogate(offset: escapeStart) }
                    let lowStart = position
                    position += 2
                    let low = try readHex4(escapeStart: lowStart)
                    guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate(offset: escapeStart) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw .loneSurrogate(offset: escapeStart)
                }
                appendUTF8(scalar, to: &text)
            default:
                throw .invalidEscape(offset: escapeStart)
            }
        }
        throw .unexpectedEnd
    }

    private mutating func readHex4(escapeStart: Int) throws(JSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard position < bytes.count else { throw .unexpectedEnd }
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidEscape(offset: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to text: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            text.append(UInt8(scalar))
        case 0x80..<0x800:
            text.append(UInt8(0xC0 | scalar >> 6))
            text.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            text.append(UInt8(0xE0 | scalar >> 12))
            text.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            text.append(UInt8(0x80 | scalar & 0x3F))
        default:
            text.append(UInt8(0xF0 | scalar >> 18))
            text.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            text.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            text.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    @inline(__always)
    private func isDigit(at index: Int) -> Bool {
        index < bytes.count && bytes[index] &- UInt8(ascii: "0") < 10
    }

    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private mutating func readNumber() throws(JSONError) -> String {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard isDigit(at: position) else { throw .invalidNumber(offset: position) }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            // A leading zero followed by digits is an octal-looking form RFC 8259 forbids.
            if isDigit(at: position) { throw .invalidNumber(offset: position) }
        } else {
            while isDigit(at: position) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard isDigit(at: position) else { throw .invalidNumber(offset: position) }
            while isDigit(at: position) { position += 1 }
        }
        if position < bytes.count && bytes[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            guard isDigit(at: position) else { throw .invalidNumber(offset: position) }
            while isDigit(at: position) { position += 1 }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }
}
