import TesseraCore

extension CheckReport {
    /// The JSON of a granted redemption: the `granted` object plus `first_use`, `uses_taken`, `uses` and `anonymous`.
    public static func redeemed(_ grant: Admission.Grant) -> JSONValue {
        granted(grant.invitation, subject: grant.subject, extra: [
            ("first_use", .bool(grant.isFirstUse)),
            ("uses_taken", .number(String(grant.usesTaken))),
            ("uses", grant.invitation.effectiveUses.map { .number(String($0)) } ?? .null),
            ("anonymous", .bool(grant.isNewAnonymousSubject)),
            ("accepted", .string(grant.acceptedAt.rfc3339)),
            ("member_until", grant.memberUntil.map { .string($0.rfc3339) } ?? .null),
        ])
    }

    /// One line for people about a granted redemption.
    public static func redeemedSentence(_ grant: Admission.Grant) -> String {
        let invitation = grant.invitation
        var text = "granted: invitation \(invitation.id) grants role \(invitation.role) in project \(invitation.project) to \(Terminal.displayable(grant.subject))"
        if grant.isNewAnonymousSubject { text += " (a new anonymous subject)" }
        let limit = invitation.effectiveUses.map { "\(grant.usesTaken) of \($0) uses taken" } ?? "\(grant.usesTaken) uses taken, no limit"
        text += grant.isFirstUse ? "; \(limit)" : " again, no use consumed; \(limit)"
        if let until = grant.memberUntil { text += "; membership until \(until.rfc3339)" }
        return text
    }
}
