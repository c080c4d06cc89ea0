/// The part of TOML that `tessera.toml` uses: `[table]` headers, `key = value` with strings
/// (basic ones with the escapes `\" \\ \n \t \r \uXXXX \UXXXXXXXX`, and literal ones),
/// integers, booleans and arrays of strings, and `#` comments. Anything else is an error
/// naming its line, so a typo never silently changes what a site does.
enum TOMLSubset {
    enum Value: Equatable, Sendable {
        case string(String)
        case integer(Int64)
        case boolean(Bool)
        case strings([String])
    }

    struct Entry: Equatable, Sendable {
        let table: String?
        let key: String
        let value: Value
        let line: Int
    }

    struct Table: Equatable, Sendable {
        let name: String
        let line: Int
    }

    struct ParseError: Error, Equatable, Sendable {
        let line: Int
        let message: String
    }

    static func parse(_ text: String) throws(ParseError) -> (entries: [Entry], tables: [Table]) {
        var entries: [Entry] = []
        var tables: [Table] = []
        var table: String?
        var seen = Set<String>()
        var number = 0
        // Split as bytes: as Characters, "\r\n" is one grapheme that a "\n" separator never matches.
        // A byte order mark may start the file (TOML allows it; some Windows editors write it), nowhere else.
        let body = text.utf8.dropFirst(text.utf8.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0)
        for rawLine in body.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var scanner = Scanner(Array(rawLine), line: number)
            scanner.skipSpaces()
            if scanner.atEndOrComment { continue }
            if scanner.peek == UInt8(ascii: "[") {
                scanner.advance()
                if scanner.peek == UInt8(ascii: "[") { throw ParseError(line: number, message: "arrays of tables ([[name]]) are not supported; known: [gateway]") }
                scanner.skipSpaces()
                let name = try scanner.bareKey()
                scanner.skipSpaces()
                try scanner.expect(UInt8(ascii: "]"))
                try scanner.expectEnd(after: "[\(name)]")
                guard seen.insert("[" + name + "]").inserted else { throw ParseError(line: number, message: "table [\(name)] appears twice") }
                table = name
                tables.append(Table(name: name, line: number))
                continue
            }
            let key = try scanner.bareKey()
            scanner.skipSpaces()
            try scanner.expect(UInt8(ascii: "="))
            scanner.skipSpaces()
            let value = try scanner.value()
            try scanner.expectEnd()
            let qualified = (table.map { $0 + "." } ?? "") + key
            guard seen.insert(qualified).inserted else { throw ParseError(line: number, message: "\(qualified) is set twice") }
            entries.append(Entry(table: table, key: key, value: value, line: number))
        }
        return (entries, tables)
    }

    /// The 1-based number of the first line that is not valid UTF-8 (no UTF-8 sequence holds a newline byte, so lines can be checked alone).
    static func lineOfInvalidUTF8(in bytes: [UInt8]) -> Int {
        for (index, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where String(validating: line, as: UTF8.self) == nil {
            return index + 1
        }
        return 1
    }

    private struct Scanner {
        let bytes: [UInt8]
        let line: Int
        var index = 0

        init(_ bytes: [UInt8], line: Int) {
            var bytes = bytes
            if bytes.last == 0x0d { bytes.removeLast() }
            self.bytes = bytes
            self.line = line
        }

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
        var atEndOrComment: Bool { peek == nil || peek == UInt8(ascii: "#") }
        mutating func advance() { index += 1 }

        mutating func skipSpaces() {
            while let c = peek, c == 0x20 || c == 0x09 { index += 1 }
        }

        func error(_ message: String) -> ParseError { ParseError(line: line, message: message) }

        mutating func expect(_ byte: UInt8) throws(ParseError) {
            guard peek == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
            index += 1
        }

        mutating func expectEnd(after what: String = "the value") throws(ParseError) {
            skipSpaces()
            guard atEndOrComment else { throw error("unexpected text after \(what)") }
        }

        mutating func bareKey() throws(ParseError) -> String {
            let start = index
            while let c = peek, c.isBareKeyByte { index += 1 }
            if index == start, peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") { throw error("quoted keys are not supported; write the key bare, such as base_url") }
            guard index > start else { throw error("expected a key such as base_url") }
            if peek == UInt8(ascii: ".") { throw error("dotted keys and table names (a.b) are not supported; write [gateway] on a line of its own, then key = value") }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func value() throws(ParseError) -> Value {
            switch peek {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if index + 2 < bytes.count, bytes[index + 1] == bytes[index], bytes[index + 2] == bytes[index] {
                    throw error("multi-line strings are not supported; write the value on one line, with \\n for a line break")
                }
                return .string(try string())
            case UInt8(ascii: "{"):
                throw error("inline tables ({ … }) are not supported; use a [table] with one key = value per line")
            case UInt8(ascii: "["):
                index += 1
                var items: [String] = []
                skipSpaces()
                if peek == UInt8(ascii: "]") { index += 1; return .strings([]) }
                while true {
                    skipSpaces()
                    if atEndOrComment { throw error("an array must end on the line where it starts") }
                    guard peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") else { throw error("arrays hold strings only") }
                    items.append(try string())
                    skipSpaces()
                    if peek == UInt8(ascii: ",") { index += 1; skipSpaces(); if peek == UInt8(ascii: "]") { index += 1; return .strings(items) }; continue }
                    try expect(UInt8(ascii: "]"))
                    return .strings(items)
                }
            case UInt8(ascii: "t"), UInt8(ascii: "f"):
                let start = index
                while let c = peek, c.isBareKeyByte { index += 1 }
                switch String(decoding: bytes[start..<index], as: UTF8.self) {
                case "true": return .boolean(true)
                case "false": return .boolean(false)
                default: throw error("a value must be a \"string\", a number, true, false or [\"a\", \"b\"]")
                }
            case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39):
                let start = index
                index += 1
                while let d = peek, (d >= 0x30 && d <= 0x39) || d == UInt8(ascii: "_") { index += 1 }
                let digits = String(decoding: bytes[start..<index], as: UTF8.self).replacingUnderscores()
                guard let number = Int64(digits) else { throw error("\(Settings.cut(digits)) is not a whole number") }
                return .integer(number)
            default:
                throw error("a value must be a \"string\", a number, true, false or [\"a\", \"b\"]")
            }
        }

        mutating func string() throws(ParseError) -> String {
            let quote = bytes[index]
            index += 1
            var out: [UInt8] = []
            while let c = peek {
                index += 1
                if c == quote {
                    guard let text = String(validating: out, as: UTF8.self) else { throw error("the string is not valid UTF-8") }
                    return text
                }
                if (c < 0x20 && c != 0x09) || c == 0x7f { throw error("control character in a string") }
                if c == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                    guard let e = peek else { break }
                    index += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(e)
                    case UInt8(ascii: "\\"): out.append(e)
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "u"), UInt8(ascii: "U"):
                        // \uXXXX or \UXXXXXXXX, as TOML has them: exactly that many hex digits (UInt32(_:radix:)
                        // alone would take "+041" as 0x41), naming a Unicode scalar (no surrogate, nothing past U+10FFFF).
                        let digits = e == UInt8(ascii: "u") ? 4 : 8
                        let name = e == UInt8(ascii: "u") ? "\\u" : "\\U"
                        guard index + digits <= bytes.count, bytes[index..<index + digits].allSatisfy(\.isHexDigit),
                              let code = UInt32(String(decoding: bytes[index..<index + digits], as: UTF8.self), radix: 16),
                              let scalar = Unicode.Scalar(code)
                        else { throw error("invalid \(name) escape (\(name) takes exactly \(digits) hex digits naming a Unicode character)") }
                        index += digits
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default: throw error("unknown escape \\\(Character(Unicode.Scalar(e)))")
                    }
                    continue
                }
                out.append(c)
            }
            throw error("the string is not closed")
        }
    }
}

private extension UInt8 {
    var isHexDigit: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x46) || (self >= 0x61 && self <= 0x66)
    }

    var isBareKeyByte: Bool {
        (self >= 0x41 && self <= 0x5a) || (self >= 0x61 && self <= 0x7a) || (self >= 0x30 && self <= 0x39) || self == 0x5f || self == 0x2d
    }
}

private extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
