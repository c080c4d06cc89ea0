import TesseraCore

/// An RFC 5322 message inviting the target of an invitation, plain text and HTML, ready for `sendmail -t`.
///
/// Every header line stays within 78 characters where it can be folded (and always within 998),
/// non-ASCII header text goes into RFC 2047 encoded-words of at most 75 characters, `From:` is one
/// mailbox (display name, then `<address>`), and a body whose lines would reach 998 bytes is sent
/// quoted-printable instead of 8bit.
public struct InvitationEmail: Sendable {
    /// The complete message, CRLF line endings.
    public let message: String

    /// The sender: a display name (the site's `issuer`) and an address (`email_from`).
    public struct Sender: Sendable, Equatable {
        public var name: String?
        public var address: String
        public init(name: String?, address: String) {
            self.name = name
            self.address = address
        }
        /// The address used when `email_from` is not set.
        public static let defaultAddress = "tessera@localhost"
    }

    /// Builds the message for `invitation` (which must name its recipient in `sub`).
    public init(invitation: Invitation, renderer: SiteRenderer, from sender: Sender, date: Timestamp) {
        let recipient = invitation.subject ?? ""
        let bodies = renderer.emailBodies(invitation)
        let boundary = "tessera-" + invitation.id
        var lines = [
            Self.header("From", Self.mailbox(sender)),
            Self.header("To", Self.headerSafe(recipient)),
            Self.header("Subject", Self.unstructured(Self.isolated("Invitation to \(invitation.project)" + (invitation.label.map { ": \($0)" } ?? "")))),
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(invitation.id)@tessera.invalid>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
        ]
        for (type, body) in [("text/plain", bodies.text), ("text/html", bodies.html)] {
            let (encoding, bodyLines) = Self.encodeBody(body)
            lines += ["--\(boundary)", "Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: \(encoding)", ""]
            lines += bodyLines
        }
        lines += ["--\(boundary)--", ""]
        message = lines.joined(separator: "\r\n")
    }

    /// Whether `text` looks like one plain email address (no display name, no header injection).
    public static func isAddress(_ text: String) -> Bool {
        Settings.isEmailAddress(text)
    }

    /// The longest header or body line the message writes where it has a choice (RFC 5322 2.1.1).
    static let foldedLength = 78
    /// The longest line RFC 5322 allows at all, without its CRLF.
    static let lineLimit = 998

    private static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// Text with a bidirectional control inside an isolate (FSI … PDI), so that it cannot reorder what follows it.
    static func isolated(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: Name.isBidiControl) else { return text }
        return "\u{2068}" + text + "\u{2069}"
    }

    /// `Name <address>`: the name as a quoted string when it is printable ASCII, else as RFC 2047 encoded-words.
    static func mailbox(_ sender: Sender) -> String {
        guard let raw = sender.name.map({ isolated(headerSafe($0)) }), !raw.isEmpty else { return sender.address }
        let name: String
        if raw.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) {
            name = "\"" + raw.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        } else {
            name = encodedWords(raw).joined(separator: " ")
        }
        return name + " <" + sender.address + ">"
    }

    /// An unstructured header value (Subject): as it is when it is printable ASCII, else as encoded-words.
    static func unstructured(_ text: String) -> String {
        let safe = headerSafe(text)
        let printable = safe.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7f }
        // A word too long to fold, or text ending in spaces that folding would lose, is encoded instead.
        if printable && !safe.split(separator: " ").contains(where: { $0.utf8.count > foldedLength - 10 }) && !safe.hasSuffix(" ") && !safe.contains("=?") {
            return safe
        }
        return encodedWords(safe).joined(separator: " ")
    }

    /// RFC 2047 B encoded-words of at most 75 characters each, never splitting a character's UTF-8 bytes.
    static func encodedWords(_ text: String) -> [String] {
        let prefix = "=?utf-8?B?", suffix = "?="
        // 42 bytes make 56 base64 characters, 68 with prefix and suffix: within RFC 2047's 75, and within
        // 78 on the header's first line too ("Subject: " is 9).
        let maximumBytes = 42
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > maximumBytes {
                words.append(prefix + PEM.encodeBase64(chunk) + suffix)
                chunk = []
            }
            // A single character longer than a word allows (a huge grapheme cluster) is split by scalar.
            if bytes.count > maximumBytes {
                for scalar in String(character).unicodeScalars {
                    let scalarBytes = Array(String(scalar).utf8)
                    if !chunk.isEmpty, chunk.count + scalarBytes.count > maximumBytes {
                        words.append(prefix + PEM.encodeBase64(chunk) + suffix)
                        chunk = []
                    }
                    chunk += scalarBytes
                }
            } else {
                chunk += bytes
            }
        }
        if !chunk.isEmpty || words.isEmpty { words.append(prefix + PEM.encodeBase64(chunk) + suffix) }
        return words
    }

    /// `Name: value`, folded at spaces so that each line stays within 78 characters where a space allows.
    static func header(_ name: String, _ value: String) -> String {
        var lines: [String] = []
        var current = name + ":"
        for word in value.split(separator: " ", omittingEmptySubsequences: false) {
            if current.utf8.count + 1 + word.utf8.count > foldedLength, current != name + ":" {
                lines.append(current)
                current = ""
            }
            current += " " + word
        }
        lines.append(current)
        return lines.joined(separator: "\r\n")
    }

    /// The body as 8bit when every line is short enough, else as quoted-printable (RFC 2045 6.7), whose lines are at most 76.
    static func encodeBody(_ body: String) -> (encoding: String, lines: [String]) {
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        if lines.allSatisfy({ $0.utf8.count < lineLimit }) { return ("8bit", lines) }
        var encoded: [String] = []
        for line in lines {
            var current = ""
            let bytes = Array(line.utf8)
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !isLast)
                let piece = literal ? String(UnicodeScalar(byte)) : "=" + hex(byte)
                // 75 characters and a soft break "=" make 76.
                if current.utf8.count + piece.utf8.count > 75 {
                    encoded.append(current + "=")
                    current = ""
                }
                current += piece
            }
            encoded.append(current)
        }
        return ("quoted-printable", encoded)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }

    private static func rfc5322Date(_ time: Timestamp) -> String {
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let text = time.rfc3339  // YYYY-MM-DDTHH:MM:SSZ
        let weekday = days[Int(((time.seconds / 86_400) % 7 + 7) % 7)]
        let month = months[Int(text.dropFirst(5).prefix(2))! - 1]
        return "\(weekday), \(text.dropFirst(8).prefix(2)) \(month) \(text.prefix(4)) \(text.dropFirst(11).prefix(8)) +0000"
    }
}
