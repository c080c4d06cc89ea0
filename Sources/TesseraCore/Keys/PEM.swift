/// PEM armor (RFC 7468) and the two fixed DER shapes an Ed25519 key takes in it.
public enum PEM {
    /// Why PEM text could not be read.
    public enum Error: Swift.Error, Equatable, Sendable {
        /// No `-----BEGIN …-----` / `-----END …-----` pair with matching labels.
        case noArmor
        /// The label is not the one expected (e.g. `PRIVATE KEY` where `PUBLIC KEY` was wanted).
        case unexpectedLabel(String)
        /// The base64 between the armor lines is not valid.
        case invalidBase64
        /// The DER inside is not an Ed25519 key of the expected form.
        case notEd25519
        /// More than one PEM block: which key is meant would depend on the reader.
        case severalBlocks

        /// What is wrong, for a message that names the file: "holds no PEM block …".
        public func explanation(expecting expected: String) -> String {
            switch self {
            case .noArmor: return "holds no PEM block (-----BEGIN \(expected)----- … -----END \(expected)-----)"
            case .unexpectedLabel(let label): return "holds a \"\(label)\" PEM block where a \"\(expected)\" one belongs"
            case .invalidBase64: return "holds a PEM block that is not valid base64"
            case .notEd25519: return "holds no valid Ed25519 key (RSA, EC, X25519 and Ed448 keys cannot sign v4.public tokens)"
            case .severalBlocks: return "holds more than one PEM block; keep one key per file"
            }
        }
    }

    /// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
    public static let ed25519PublicPrefix: [UInt8] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// The label and the decoded bytes of the one PEM block in `text`; explanatory text around it
    /// (such as `openssl pkey -text` writes after it) is ignored, and so is a UTF-8 byte order mark at the start.
    ///
    /// A second block is refused rather than ignored: a reader that took the other one would trust another key.
    public static func decode(_ text: String) throws(Error) -> (label: String, der: [UInt8]) {
        var label: String?
        var body: [UInt8] = []
        var found: (label: String, der: [UInt8])?
        let text = text.hasPrefix("\u{FEFF}") ? text.dropFirst() : Substring(text)
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = rawLine.trimmingASCIIWhitespace()
            if let current = label {
                if line.hasPrefix("-----END ") {
                    guard line == "-----END \(current)-----" else { throw .noArmor }
                    guard let der = decodeBase64(body) else { throw .invalidBase64 }
                    found = (current, der)
                    label = nil
                    continue
                }
                body.append(contentsOf: line.utf8)
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----"), line.count > 16 {
                guard found == nil else { throw .severalBlocks }
                label = String(line.dropFirst(11).dropLast(5))
            }
        }
        guard let found else { throw .noArmor }
        return found
    }

    /// Wraps DER bytes in PEM armor with 64-character lines.
    public static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = encodeBase64(der)
        var text = "-----BEGIN \(label)-----\n"
        var index = base64.startIndex
        while index < base64.endIndex {
            let end = base64.index(index, offsetBy: 64, limitedBy: base64.endIndex) ?? base64.endIndex
            text += base64[index..<end] + "\n"
            index = end
        }
        return text + "-----END \(label)-----\n"
    }

    /// The 32 key bytes of an Ed25519 `PUBLIC KEY` PEM document.
    public static func ed25519PublicKey(fromPEM text: String) throws(Error) -> [UInt8] {
        let (label, der) = try decode(text)
        guard label == "PUBLIC KEY" else { throw .unexpectedLabel(label) }
        guard der.count == 44, der.starts(with: ed25519PublicPrefix) else { throw .notEd25519 }
        return Array(der[12...])
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4), as PEM bodies and MIME use.
    public static func encodeBase64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
            out += rest == 2 ? [alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Standard base64 with padding, as PEM bodies use; rejects anything else.
    static func decodeBase64(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var values = [UInt8]()
        values.reserveCapacity(text.count)
        var padding = 0
        for (i, c) in text.enumerated() {
            if c == UInt8(ascii: "=") {
                guard i >= text.count - 2 else { return nil }
                padding += 1
                values.append(0)
                continue
            }
            guard padding == 0, let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 4 * 3)
        var i = 0
        while i < values.count {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12 | UInt32(values[i + 2]) << 6 | UInt32(values[i + 3])
            out += [UInt8(n >> 16), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            i += 4
        }
        out.removeLast(padding)
        return out
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, carriage returns and newlines.
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
