import TesseraCore

/// The JSON and sentence forms of a verifier's decision, shared by every command that reports one.
public enum CheckReport {
    /// `{"granted":true,"project":…,"role":…,"subject":…,"invitation":…,"expires":…}`.
    public static func granted(_ invitation: Invitation, subject: String?, extra: [(key: String, value: JSONValue)] = []) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("granted", .bool(true)),
            ("project", .string(invitation.project)),
            ("role", .string(invitation.role)),
            ("subject", (invitation.acceptingSubject(for: subject) ?? invitation.subject).map(JSONValue.string) ?? .null),
            ("invitation", .string(invitation.id)),
            ("expires", invitation.expiresAt.map { .string($0.rfc3339) } ?? .null),
        ]
        members += extra
        return .object(members)
    }

    /// `{"granted":false,"reason":…,"detail":…}`, plus the invitation id when known.
    public static func denied(_ denial: Denial) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("granted", .bool(false)),
            ("reason", .string(denial.reason.rawValue)),
            ("detail", .string(denial.detail)),
        ]
        if let id = denial.invitation?.id { members.append(("invitation", .string(id))) }
        return .object(members)
    }

    /// `{"granted":false,"reason":"error",…}` for a usage or configuration error (exit 2).
    public static func error(_ message: String) -> JSONValue {
        .object([("granted", .bool(false)), ("reason", .string("error")), ("detail", .string(message))])
    }

    /// One line for people.
    public static func sentence(_ invitation: Invitation, subject: String?) -> String {
        var text = "valid: invitation \(invitation.id) grants role \(invitation.role) in project \(invitation.project)"
        if let who = invitation.acceptingSubject(for: subject) ?? invitation.subject { text += " to \(Terminal.displayable(who))" }
        text += invitation.expiresAt.map { ", expires \($0.rfc3339)" } ?? ", never expires"
        return text
    }
}
