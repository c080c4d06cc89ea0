import FuzzSupport
import TesseraCore

// Input: a decoded token footer. Only `{"kid":"k4.pid.…"}` may be accepted, and only the
// key id is read from it.
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let footer = input(data, size)
    do {
        let id = try Footer.keyID(in: footer)
        require(footer.count <= SignedToken.maximumFooterLength, "oversized footer accepted")
        guard case .object(let members)? = try? JSONParser(maxDepth: 1, maxBytes: SignedToken.maximumFooterLength).parse(footer) else {
            require(false, "accepted footer is not a JSON object")
            return 0
        }
        require(members.count == 1 && exactly(members[0].key, "kid"), "accepted footer holds \(members.map(\.key))")
        require(exactly(members[0].value.stringValue, id.rawValue), "key id differs from the kid member")
        require(KeyID(id.rawValue) == id && id.rawValue.utf8.count == 51, "key id does not re-parse")
        let encoded = Footer.encode(keyID: id)
        require((try? Footer.keyID(in: encoded)) == id, "encoded footer does not re-parse")
    } catch .missing {
        require(footer.isEmpty, "non-empty footer called missing")
    } catch {
        require(!footer.isEmpty, "empty footer not called missing")
    }
    return 0
}
