import Mustache

/// HTML escaping for the built-in templates: the same five characters as swift-mustache's own
/// (`<` `>` `&` `"` `'`), done on UTF-8 bytes instead of Characters, which made it most of the
/// cost of rendering a page with a 400-byte token in it twice.
struct HTMLEscaping: MustacheContentType {
    /// The name templates use to select it: `{{% CONTENT_TYPE: TESSERA_HTML }}`.
    static let name = "TESSERA_HTML"

    /// Registers the content type once per process, before any template is parsed.
    static let registered: Void = MustacheContentTypes.register(HTMLEscaping(), named: name)

    func escapeText(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.contains(where: Self.needsEscape) else { return String(decoding: bytes, as: UTF8.self) }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 16)
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "<"): out += Array("&lt;".utf8)
                case UInt8(ascii: ">"): out += Array("&gt;".utf8)
                case UInt8(ascii: "&"): out += Array("&amp;".utf8)
                case UInt8(ascii: "\""): out += Array("&quot;".utf8)
                case UInt8(ascii: "'"): out += Array("&#39;".utf8)
                default: out.append(byte)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "<") || byte == UInt8(ascii: ">") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'")
    }
}
