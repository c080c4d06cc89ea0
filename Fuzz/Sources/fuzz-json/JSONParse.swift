import Foundation
import FuzzSupport
import TesseraCore

// Input: a JSON document, as the claims, footer and revocation list parsers see it.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    let value: JSONValue
    do {
        value = try JSONParser().parse(bytes)
    } catch {
        let offset: Int? = switch error {
        case .unexpectedByte(let o), .invalidEscape(let o), .invalidNumber(let o), .trailingData(let o),
             .loneSurrogate(let o), .controlCharacterInString(let o): o
        default: nil
        }
        if let offset { require((0...bytes.count).contains(offset), "error offset \(offset) outside \(bytes.count) bytes") }
        // What the lax limits refuse, the strict ones refuse too.
        require((try? JSONParser(maxDepth: 1).parse(bytes)) == nil, "depth 1 accepts what depth 32 refuses")
        return 0
    }
    // Compact serialisation reads back as the same value, is a fixed point, and is never longer.
    let written = value.serialized()
    guard let again = try? JSONParser().parse(written) else {
        require(false, "serialised value does not parse: \(String(decoding: written, as: UTF8.self))")
        return 0
    }
    require(again == value, "serialised value reads back differently")
    require(again.serialized() == written, "serialisation is not a fixed point")
    require(written.count <= bytes.count, "serialisation longer than its input")
    // The same parse through a non-contiguous collection.
    require((try? JSONParser().parse(bytes.lazy.map { $0 })) == value, "generic path disagrees")
    checkObjects(value)
    checkAgainstFoundation(value, bytes)
    return 0
}

/// A second opinion: what this strict parser accepts, Foundation's lenient one accepts too, with the same strings.
private func checkAgainstFoundation(_ value: JSONValue, _ bytes: [UInt8]) {
    let data = Data(bytes)
    guard let other = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
        // Foundation refuses numbers it cannot represent (1e400); with every number zeroed it must agree.
        let zeroed = Data(zeroingNumbers(value).serialized())
        require((try? JSONSerialization.jsonObject(with: zeroed, options: [.fragmentsAllowed])) != nil,
                "Foundation refuses what the parser accepted: \(String(decoding: bytes, as: UTF8.self))")
        return
    }
    require(sameValue(value, other), "Foundation reads other strings from \(String(decoding: bytes, as: UTF8.self))")
}

private func zeroingNumbers(_ value: JSONValue) -> JSONValue {
    switch value {
    case .number: return .number("0")
    case .array(let elements): return .array(elements.map(zeroingNumbers))
    case .object(let members): return .object(members.map { ($0.key, zeroingNumbers($0.value)) })
    default: return value
    }
}

private func sameValue(_ mine: JSONValue, _ theirs: Any) -> Bool {
    switch mine {
    case .null: return theirs is NSNull
    case .bool(let flag): return (theirs as? Bool) == flag
    case .number: return theirs is NSNumber
    case .string(let text): return exactly((theirs as? String).map(unmarked), unmarked(text))
    case .array(let elements):
        guard let others = theirs as? [Any], others.count == elements.count else { return false }
        return zip(elements, others).allSatisfy { sameValue($0, $1) }
    case .object(let members):
        guard let others = theirs as? [String: Any] else { return false }
        // Foundation's dictionary merges keys that are canonically equivalent ("é" and "e\u{301}"); compare only when none are.
        let keys = members.map { unmarked($0.key) }
        guard Set(keys).count == members.count else { return true }
        let theirs = Dictionary(others.map { (unmarked($0.key), $0.value) }, uniquingKeysWith: { first, _ in first })
        guard theirs.count == members.count else { return false }
        return zip(keys, members).allSatisfy { key, member in theirs[key].map { sameValue(member.value, $0) } ?? false }
    }
}

/// Foundation drops a U+FEFF that starts a string or follows an escape in it (as it would a byte
/// order mark); the parser keeps every one, as RFC 8259 says. Compared without them.
private func unmarked(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != "\u{FEFF}" }))
}

/// Object keys are unique by their bytes, and lookup finds each member's own value.
private func checkObjects(_ value: JSONValue) {
    switch value {
    case .object(let members):
        let keys = Set(members.map { Array($0.key.utf8) })
        require(keys.count == members.count, "duplicate keys accepted")
        for member in members {
            require(value[member.key] == member.value, "lookup of \(member.key) finds another value")
            checkObjects(member.value)
        }
    case .array(let elements):
        elements.forEach(checkObjects)
    case .number(let literal):
        if let integer = value.integerValue {
            require(literal.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) }, "integer from \(literal)")
            require(String(integer) == literal || literal == "-0", "integer \(integer) from \(literal)")
        }
    default:
        break
    }
}
