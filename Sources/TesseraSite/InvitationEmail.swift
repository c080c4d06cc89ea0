import TesseraCore

/// An RFC 5322 message inviting the target of an invitation, plain text and HTML, ready for `sendmail -t`.
public struct InvitationEmail: Sendable {
    /// The complete message, CRLF line endings.
    public let message: String

    /// Builds the message for `invitation` (which must name its recipient in `sub`).
    public init(invitation: Invitation, renderer: SiteRenderer, from sender: String, date: Timestamp) {
        let recipient = invitation.subject ?? ""
        let bodies = renderer.emailBodies(invitation)
        let boundary = "tessera-" + invitation.id
        var lines = [
            "From: \(Self.headerSafe(sender))",
            "To: \(Self.headerSafe(recipient))",
            "Subject: \(Self.encodedWord("Invitation to \(invitation.project)" + (invitation.label.map { ": \($0)" } ?? "")))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(invitation.id)@tessera.invalid>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "--\(boundary)",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "",
        ]
        lines += bodies.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines += ["--\(boundary)", "Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: 8bit", ""]
        lines += bodies.html.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines += ["--\(boundary)--", ""]
        message = lines.joined(separator: "\r\n")
    }

    /// Whether `text` looks like one plain email address (no display name, no header injection).
    public static func isAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7f && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    private static func headerSafe(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// RFC 2047 encoded-word when the header holds non-ASCII text.
    private static func encodedWord(_ text: String) -> String {
        let safe = headerSafe(text)
        guard safe.utf8.contains(where: { $0 >= 0x80 }) else { return safe }
        return "=?utf-8?B?" + PEM.encodeBase64(Array(safe.utf8)) + "?="
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
