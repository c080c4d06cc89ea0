import FuzzSupport
import TesseraCore

// Input: a selector byte, then text for one of the small decoders every other surface uses:
// 0 strict base64url, 1 RFC 3339 times, 2 time spans (`14d`), 3 names (ids, projects, subjects).
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let selector = bytes.first else { return 0 }
    let text = Array(bytes.dropFirst())
    switch selector % 4 {
    case 0:
        if let decoded = Base64URL.decode(text) {
            require(Array(Base64URL.encode(decoded).utf8) == text, "base64url accepted in a non-canonical spelling")
            var appended: [UInt8] = [1, 2]
            Base64URL.encode(decoded, into: &appended)
            require(appended == [1, 2] + text, "encode(into:) disagrees")
        }
        require(Base64URL.decode(text[...]) == Base64URL.decode(text), "slice decoding disagrees")
    case 1:
        let time = Timestamp(rfc3339Bytes: text)
        require(time == Timestamp(rfc3339Bytes: text.lazy.map { $0 }), "generic path disagrees")
        if let time {
            require((0..<1_000_000_000).contains(time.nanoseconds), "nanoseconds out of range")
            // Written in whole seconds, truncated toward the past; or exactly.
            let written = time.rfc3339
            let again = Timestamp(rfc3339: written)
            require(again?.seconds == time.seconds && again?.nanoseconds == 0, "\(written) reads back as \(String(describing: again))")
            require(Timestamp(rfc3339: time.exactRFC3339) == time, "\(time.exactRFC3339) reads back as another instant")
        }
    case 2:
        if let seconds = TimeSpan.seconds(in: String(decoding: text, as: UTF8.self)) {
            require(seconds >= 0 && seconds <= 100 * 366 * 86_400, "time span \(seconds) s out of range")
        }
    default:
        let string = String(decoding: text, as: UTF8.self)
        if Name.isValidInvitationID(string) {
            require(RevocationList.Entry(string) == .invitation(string), "an invitation id is not a revocation entry")
        }
        if Name.isValidProjectOrRole(string) {
            require(RevocationList.Entry("project:" + string) == .project(string), "a project is not a revocation entry")
            require(string.utf8.allSatisfy { $0 < 0x80 }, "non-ASCII project name")
        }
        if Name.isValidSubject(string) {
            require(!string.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7f }, "control character in a subject")
        }
    }
    return 0
}
